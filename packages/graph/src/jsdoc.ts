import type { Source } from './source';

/*
 * A declaration's doc as TypeScript reads it (what editors show, and what FlowKit showed when it parsed with
 * TypeScript): the last /** comment between the previous token and the declaration, leaving out comments on that
 * token's line; its text up to the first @tag, without each line's leading ` * ` and with {@link ...} tags kept.
 */

const SPACE = /[ \t\v\f\u00a0\u0085\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]/;
const LINE_BREAK = /[\n\r\u2028\u2029]/;
const WORD = /[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d-]*|./suy;
const LINK = /^\{@(link|linkcode|linkplain)(?![\p{ID_Continue}$\u200c\u200d-])/u;
const LINK_NAME = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d-]*(?:\s*\.\s*[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)*(?:\s*#[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)*/u;

/** The doc of the declaration starting at `start` (its decorators and modifiers included); undefined when it has none. */
export function docBefore(source: Source, start: number): string | undefined {
  const comment = leadingComments(source, start)
    .filter((c) => source.text.startsWith('/**', c.start) && source.text[c.start + 3] !== '/')
    .pop();
  const doc = comment && commentText(source.text, comment.start, comment.end).trim();
  return doc ? doc : undefined;
}

/** The comments between the token before `start` and `start`, less those on that token's line. */
function leadingComments(source: Source, start: number): Source['comments'] {
  const run: Source['comments'] = [];
  let from = start;
  for (let i = source.comments.findLastIndex((c) => c.end <= start); i >= 0; i--) {
    const comment = source.comments[i] as Source['comments'][number];
    if (source.text.slice(comment.end, from).trim() !== '') break;
    run.unshift(comment);
    from = comment.start;
  }
  let previous = source.text.slice(0, from).trimEnd().length;
  let ownLine = previous === 0;
  return run.filter((comment) => {
    ownLine ||= /[\n\r]/.test(source.text.slice(previous, comment.start));
    previous = comment.end;
    return ownLine;
  });
}

/** The text of the comment from `start` to `end`, read as TypeScript's JSDoc scanner reads it. */
function commentText(text: string, start: number, end: number): string {
  const body = text.slice(start + 3, end - 2);
  const parts: string[] = [];
  // Columns count from the line's start (on the first line, as if the text came right after `/** `); a line keeps the
  // spaces it has beyond the column the comment's text started at (the margin).
  let indent = start - (text.lastIndexOf('\n', start) + 1) + 4;
  let margin: number | undefined;
  const push = (part: string) => {
    margin ||= indent;
    parts.push(part);
    indent += part.length;
  };
  let i = spacesEnd(body, 0, ' \t\v\f');
  let state: 'line start' | 'after asterisk' | 'text' = 'after asterisk';
  const firstBreak = lineBreakAt(body, i);
  if (firstBreak) {
    i += firstBreak.length;
    indent = 0;
    state = 'line start';
  }
  while (i < body.length) {
    const ch = body[i] as string;
    const lineBreak = lineBreakAt(body, i);
    const wordsEnd = state === 'text' ? textEnd(body, i) : i;
    if (wordsEnd > i) {
      push(body.slice(i, wordsEnd));
      i = wordsEnd;
    } else if (ch === '@') {
      break; // a tag: the text ends here
    } else if (lineBreak) {
      parts.push(lineBreak);
      i += lineBreak.length;
      indent = 0;
      state = 'line start';
    } else if (ch === '*' && state === 'line start') {
      i++;
      indent++;
      state = 'after asterisk';
    } else if (' \t\v\f'.includes(ch)) {
      const spaces = body.slice(i, spacesEnd(body, i, ch));
      if (margin !== undefined && indent + spaces.length > margin) parts.push(spaces.slice(margin - indent));
      i += spaces.length;
      indent += spaces.length;
    } else {
      const link = ch === '{' ? readLink(body, i) : undefined;
      const tokenEnd = link?.end ?? wordEnd(body, i);
      if (link) parts.push(link.text);
      else push(body.slice(i, tokenEnd));
      i = tokenEnd;
      state = 'text';
    }
  }
  return parts.join('');
}

function lineBreakAt(body: string, i: number): string | undefined {
  return body.startsWith('\r\n', i) ? '\r\n' : body[i] === '\n' || body[i] === '\r' ? body[i] : undefined;
}

/** The end of the spaces at `i`, when they start with one of `first` (TypeScript's whitespace token). */
function spacesEnd(body: string, i: number, first: string): number {
  if (!first.includes(body[i] ?? '\n')) return i;
  while (i < body.length && SPACE.test(body[i] as string)) i++;
  return i;
}

/** The end of the token at `i` that begins a line's text: a word (which may hold `-`), or one character. */
function wordEnd(body: string, i: number): number {
  WORD.lastIndex = i;
  return i + (WORD.exec(body) as RegExpExecArray)[0].length;
}

/** Where text on a line ends: at a line break, a backtick, a `{`, or an `@` that starts a tag (` @name`). */
function textEnd(body: string, i: number): number {
  for (; i < body.length; i++) {
    const ch = body[i] as string;
    const next = body[i + 1] ?? '';
    if (LINE_BREAK.test(ch) || ch === '`' || ch === '{') return i;
    if (ch === '@' && i > 0 && SPACE.test(body[i - 1] as string) && !SPACE.test(next) && !LINE_BREAK.test(next)) return i;
  }
  return i;
}

/** The `{@link Name text}` tag (or linkcode, linkplain) at `i`, written back as TypeScript does; undefined for other braces. */
function readLink(body: string, i: number): { text: string; end: number } | undefined {
  const kind = LINK.exec(body.slice(i))?.[1];
  if (!kind) return undefined;
  let rest = body.slice(i + kind.length + 2);
  if (rest.trim() !== '') rest = rest.trimStart();
  const name = LINK_NAME.exec(rest)?.[0];
  if (name) rest = rest.slice(name.length).trimStart();
  const close = /[}\n]|\r\n?/.exec(rest);
  const words = close ? rest.slice(0, close.index) : rest;
  const label = name?.replace(/\s/g, '') ?? '';
  const space = label && (words === '' || words.startsWith('://')) ? '' : ' ';
  return { text: `{@${kind} ${label}${space}${words}}`, end: body.length - rest.length + words.length + (close?.[0].length ?? 0) };
}
