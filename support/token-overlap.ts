import { bagSize, sharedTokens, tokenBag } from '../domain/pages/text-tokens';

/**
 * Token precision and recall of an extracted text against the expected main text, as bags of
 * tokens (`tokenize`: words for spaced scripts, characters for Han, kana and Hangul).
 */
export interface Overlap {
  precision: number;
  recall: number;
  extractedTokens: number;
  expectedTokens: number;
}

export function tokenOverlap(extracted: string, expected: string): Overlap {
  const got = tokenBag(extracted);
  const want = tokenBag(expected);
  const shared = sharedTokens(got, want);
  const extractedTokens = bagSize(got);
  const expectedTokens = bagSize(want);
  return {
    precision: extractedTokens === 0 ? 0 : shared / extractedTokens,
    recall: expectedTokens === 0 ? 1 : shared / expectedTokens,
    extractedTokens,
    expectedTokens,
  };
}
