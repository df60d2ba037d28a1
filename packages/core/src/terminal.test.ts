import { validateTags } from './pathspec';
import { hasControlCharacters, printable } from './terminal';

describe('printable', () => {
  test('escapes C0 and C1 controls, DEL, line separators and bidi overrides; leaves other text alone', () => {
    expect(printable('a\u001b[2J\u0007b\n\r\t\u007f\u009b\u2028\u202e')).toBe('a\\x1b[2J\\x07b\\n\\r\\t\\x7f\\x9b\\u2028\\u202e');
    expect(printable('ß 日本 🙂 "quoted" \\')).toBe('ß 日本 🙂 "quoted" \\');
    expect(hasControlCharacters('plain tag: v1.2')).toBe(false);
  });
});

describe('validateTags', () => {
  test.each(['\u001b]0;title\u0007', 'two\nlines', 'tab\there', 'csi\u009b2J', 'rtl\u202eevil', '', '  ', 't'.repeat(513)])('refuses %j', (tag) => {
    expect(() => validateTags([tag])).toThrow(/^Tag '.*' is not valid\.$/);
  });

  test('accepts printable text up to 512 characters', () => {
    expect(validateTags(['release candidate', 'ß', 'key:value', 't'.repeat(512)])).toHaveLength(4);
  });
});
