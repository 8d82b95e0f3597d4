/**
 * Why a fetch failed, and whether trying again can help. The fetch activity turns
 * non-retryable ones into `ApplicationFailure.nonRetryable` so Temporal stops at once.
 */
export const FetchErrorType = {
  InvalidUrl: 'InvalidUrl',
  BlockedAddress: 'BlockedAddress',
  HttpClientError: 'HttpClientError',
  HttpServerError: 'HttpServerError',
  HttpRetryLater: 'HttpRetryLater',
  NotHtml: 'NotHtml',
  TooManyRedirects: 'TooManyRedirects',
  Timeout: 'FetchTimeout',
  Network: 'NetworkError',
  /**
   * The name does not resolve (ENOTFOUND: the DNS answered "no such host"). Not retried: the
   * answer will not change seconds later. A resolver that did not answer is EAI_AGAIN, a
   * NetworkError, and is retried.
   */
  HostNotFound: 'HostNotFound',
  Cancelled: 'FetchCancelled',
} as const;
export type FetchErrorType = (typeof FetchErrorType)[keyof typeof FetchErrorType];

const RETRYABLE: ReadonlySet<FetchErrorType> = new Set<FetchErrorType>([
  FetchErrorType.HttpServerError,
  FetchErrorType.HttpRetryLater,
  FetchErrorType.Timeout,
  FetchErrorType.Network,
]);

export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly retryable: boolean;
  constructor(
    readonly type: FetchErrorType,
    message: string,
    readonly details: { url: string; status?: number } = { url: '' },
  ) {
    super(message);
    this.retryable = RETRYABLE.has(type);
  }
}

/** 4xx means the request itself is wrong, except 408 (timeout) and 429 (slow down). */
export function errorTypeForStatus(status: number): FetchErrorType | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 408 || status === 429) return FetchErrorType.HttpRetryLater;
  if (status >= 400 && status < 500) return FetchErrorType.HttpClientError;
  return FetchErrorType.HttpServerError;
}
