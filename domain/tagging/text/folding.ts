/**
 * Per-code-unit text tables shared by the keyword matcher and the classifier's tokenizer.
 * Everything works on UTF-16 code units and never changes a string's length, so a position
 * in folded text is the same position in the original.
 */

let foldTable: Uint16Array | undefined;
let wordTable: Uint8Array | undefined;

/**
 * Case folding by table: each code unit maps to its lower-case form when that form is one
 * code unit, and full-width ASCII (`ＡＢＣ１２３`, common in Chinese text) maps to plain ASCII
 * first. Surrogates map to themselves, so characters outside the BMP match exactly.
 */
export function caseFoldTable(): Uint16Array {
  if (foldTable) return foldTable;
  const table = new Uint16Array(0x10000);
  for (let unit = 0; unit < 0x10000; unit++) {
    let folded = unit;
    if (unit >= 0xff01 && unit <= 0xff5e) folded = unit - 0xfee0;
    if (folded < 0xd800 || folded > 0xdfff) {
      const lower = String.fromCharCode(folded).toLowerCase();
      if (lower.length === 1) folded = lower.charCodeAt(0);
    }
    table[unit] = folded;
  }
  foldTable = table;
  return table;
}

/** `text` case-folded by {@link caseFoldTable}; same length as the input. */
export function foldCase(text: string): string {
  const table = caseFoldTable();
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = table[text.charCodeAt(i)]!;
  let out = '';
  // fromCharCode takes arguments: go in chunks to stay below the engine's argument limit.
  for (let start = 0; start < units.length; start += 8192) out += String.fromCharCode(...units.subarray(start, start + 8192));
  return out;
}

/**
 * Word characters of the scripts that separate words with spaces (Latin, Greek, Cyrillic,
 * Armenian, Georgian), digits, combining marks and `_`. Whole-word matching looks at these
 * only: Chinese, Japanese and Korean text has no spaces, so a CJK neighbour is a boundary
 * (`AI芯片` contains the whole word `AI`).
 */
export function wordCharTable(): Uint8Array {
  if (wordTable) return wordTable;
  const table = new Uint8Array(0x10000);
  const word = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Armenian}\p{Script=Georgian}\p{Nd}\p{Mn}_]/u;
  for (let unit = 0; unit < 0x10000; unit++) {
    if (unit >= 0xd800 && unit <= 0xdfff) continue;
    if (word.test(String.fromCharCode(unit))) table[unit] = 1;
  }
  wordTable = table;
  return table;
}
