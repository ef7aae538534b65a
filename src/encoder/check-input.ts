/** Argument checks at the encoder boundary: a clear TypeError naming the argument. */
export function checkText(text: unknown, name = 'text'): asserts text is string {
  if (typeof text !== 'string') throw new TypeError(`${name} must be a string`);
}

export function checkTexts(texts: unknown, name = 'texts'): asserts texts is string[] {
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new TypeError(`${name} must be an array of strings`);
}
