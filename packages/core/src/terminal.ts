/**
 * Characters a terminal acts on instead of showing: C0 and C1 controls (ESC starts a sequence that can clear
 * the screen or set the window title, BEL, newline), line separators and bidirectional overrides.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Whether text holds a character `printable` would escape. */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * A user-controlled string (tag, id, step name, artifact preview, log header) made safe to print: every
 * control character is shown escaped (`\x1b`, `\n`, `\u202e`), so a value written by one user cannot drive
 * another user's terminal.
 */
export function printable(text: string): string {
  return text.replace(new RegExp(CONTROL, 'gu'), (c) => {
    const code = c.charCodeAt(0);
    return c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
