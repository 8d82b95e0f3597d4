/**
 * Bytes → string for HTML: the charset from the Content-Type header, else from a
 * `<meta charset>` in the first 4 KiB, else UTF-8. Chinese pages often are GBK/GB18030;
 * Node's ICU TextDecoder knows them.
 */
export function decodeHtml(body: Buffer, contentType: string | undefined): string {
  const charset = charsetFromContentType(contentType) ?? charsetFromMeta(body) ?? 'utf-8';
  try {
    return new TextDecoder(normalizeCharset(charset)).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

function charsetFromContentType(contentType: string | undefined): string | undefined {
  return contentType ? /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1] : undefined;
}

function charsetFromMeta(body: Buffer): string | undefined {
  const head = body.subarray(0, 4096).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
}

function normalizeCharset(charset: string): string {
  const lower = charset.toLowerCase();
  // Pages that say gb2312 are nearly always really GBK; GB18030 decodes both.
  return lower === 'gb2312' || lower === 'gbk' ? 'gb18030' : lower;
}
