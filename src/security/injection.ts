import { InjectionError } from '../errors.js';

export type ThreatKind = 'sql' | 'sparql' | 'shell' | 'path-traversal' | 'oversized';

export interface Threat {
  readonly kind: ThreatKind;
  /** What matched, for logs: the rule's name. */
  readonly rule: string;
}

export interface InjectionReport {
  readonly safe: boolean;
  readonly threats: readonly Threat[];
}

type Rule = Threat & { readonly pattern: RegExp };

/**
 * Each rule looks for the *syntax* an attack needs — a quote closed and a clause opened, a
 * statement chained after `;`, a command substituted — never for a bare keyword, so identifiers such
 * as `select-best-quote`, `drop-zone-upload` or `update-inventory` stay safe.
 *
 * The rules run on the {@link normalise}d text, in which every run of whitespace is one character
 * and SQL comments are spaces; none has a nested or unbounded-overlapping quantifier, and any
 * look-ahead across the text is bounded, so matching is linear in the input's length.
 */
const RULES: readonly Rule[] = [
  // SQL
  {
    kind: 'sql',
    rule: 'quote-then-boolean',
    pattern: /['"`][\s)]*(or|and|\|\||&&)[\s('"`\w]{0,64}?(=|like\b|<|>|is\b)/i,
  },
  { kind: 'sql', rule: 'tautology', pattern: /\b(or|and)\s(['"]?\w{1,64}['"]?)\s?=\s?\2/i },
  { kind: 'sql', rule: 'numeric-comparison', pattern: /\b(or|and)\s\d{1,20}\s?(=|<>|!=|<=?|>=?)\s?\d/i },
  { kind: 'sql', rule: 'quote-then-comment', pattern: /['"`][\s)]*(--|#|\/\*)/ },
  { kind: 'sql', rule: 'quote-then-order-by', pattern: /['"`][\s)]*(order|group)\sby\s\d/i },
  {
    kind: 'sql',
    rule: 'stacked-statement',
    pattern:
      /;\s?(select|insert|update|delete|drop|alter|create|truncate|exec|execute|grant|shutdown|declare)\b/i,
  },
  { kind: 'sql', rule: 'union-select', pattern: /\bunion\s(all\s)?select\b/i },
  {
    kind: 'sql',
    rule: 'select-list-from',
    pattern:
      /\bselect\s(\*|distinct\b|top\s\d|null\b|@@|[\w.]{1,128}\s?,|[\w.]{1,128}\s?\()[^]{0,512}?\bfrom\b/i,
  },
  {
    kind: 'sql',
    rule: 'select-from-where',
    pattern: /\bselect\s[\w.]{1,128}\sfrom\s[\w.`"[\]]{1,128}\swhere\b/i,
  },
  { kind: 'sql', rule: 'system-variable', pattern: /@@[a-z_]/i },
  {
    kind: 'sql',
    rule: 'ddl',
    pattern: /\b(drop|truncate|alter)\s(table|database|schema|view|index|user)\b/i,
  },
  {
    kind: 'sql',
    rule: 'insert-into',
    pattern: /\binsert\sinto\s[\w.`"[\]]{1,128}\s?(\(|values\b|select\b)/i,
  },
  { kind: 'sql', rule: 'delete-from', pattern: /\bdelete\sfrom\s[\w.`"[\]]{1,128}\s?(where\b|;|--)/i },
  { kind: 'sql', rule: 'update-set', pattern: /\bupdate\s[\w.`"[\]]{1,128}\sset\s[\w.`"[\]]{1,128}\s?=/i },
  {
    kind: 'sql',
    rule: 'stored-procedure-or-timing',
    pattern:
      /\b(xp_cmdshell|sp_executesql|waitfor\sdelay|pg_sleep\s?\(|sleep\s?\(\s?\d|benchmark\s?\(\s?\d|load_file\s?\(|into\s(out|dump)file)\b/i,
  },
  // SPARQL
  {
    kind: 'sparql',
    rule: 'query-form',
    pattern: /\b(select|construct|describe|ask)\b[^]{0,512}?\bwhere\s?\{/i,
  },
  { kind: 'sparql', rule: 'update-data', pattern: /\b(insert|delete)\s((data|where)\s?)?\{/i },
  {
    // SPARQL 1.1 Update's graph management, as its grammar writes it: `drop all`, `clear graph <g>`,
    // `move <a> to <b>` — not the words alone (`move graph`, `add all` are ordinary labels).
    kind: 'sparql',
    rule: 'graph-management',
    pattern:
      /\b((drop|clear)\s(silent\s)?(graph\s?<|all\b|default\b|named\b)|create\s(silent\s)?graph\s?<|(copy|move|add)\s(silent\s)?(graph\s?<[^>]{0,512}>|<[^>]{0,512}>|default)\sto\b)/i,
  },
  { kind: 'sparql', rule: 'load-iri', pattern: /\bload\s(silent\s)?</i },
  {
    kind: 'sparql',
    rule: 'block-breakout',
    pattern:
      /[>}"']\s?[.;]?\s?\}\s?[;.]?\s?(insert|delete|drop|clear|select|union|filter|optional|bind|service)\b/i,
  },
  { kind: 'sparql', rule: 'iri-breakout', pattern: />\s?[.;]\s?[<?]|>\s?\}/ },
  {
    kind: 'sparql',
    rule: 'prefix-or-service',
    pattern: /\b(prefix\s[\w-]{0,64}:\s?<|service\s(silent\s)?<|base\s<)/i,
  },
  {
    kind: 'sparql',
    rule: 'filter-injection',
    pattern:
      /['"]\s?\)\s?(\|\||&&|\.|\})|\b(filter|bind)\s?\([^]{0,256}?\b(regex|contains|strstarts|sameterm)\s?\(/i,
  },
  // Shell
  {
    kind: 'shell',
    rule: 'command-substitution',
    pattern: /`[^`]{0,1024}`|\$\([^)]{0,1024}\)|\$\{[^}]{0,1024}\}/,
  },
  {
    kind: 'shell',
    rule: 'chained-command',
    pattern:
      /(;|&&|\|\||\||&|\n|\r)\s?(sh|bash|zsh|dash|rm|cat|curl|wget|nc|ncat|netcat|python\d?|perl|ruby|php|node|chmod|chown|echo|ls|id|whoami|uname|ping|nslookup|kill|sudo|su|eval|exec|mkfifo|tee|dd|base64|env|printenv|reboot|shutdown)\b/i,
  },
  {
    kind: 'shell',
    rule: 'chained-path-command',
    pattern: /(;|&&|\|\||\||&|\n|\r)\s?(\/(usr\/)?s?bin\/|~\/|\.\/)/,
  },
  {
    kind: 'shell',
    rule: 'shell-path',
    pattern: /\/bin\/(ba|z|da|k)?sh\b|\bcmd(\.exe)?\s?\/c\b|\bpowershell(\.exe)?\b/i,
  },
  {
    kind: 'shell',
    rule: 'redirection-to-path',
    pattern: /(>>?|<)\s?\/(etc|dev|tmp|var|proc|bin|usr|root|home)\//,
  },
  // Path traversal (`..;/` is how servlet containers let a path parameter hide a `..` segment)
  { kind: 'path-traversal', rule: 'dot-dot-segment', pattern: /(^|[\s\\/])\.\.(;[^\\/]{0,64})?($|[\\/])/ },
  { kind: 'path-traversal', rule: 'null-byte', pattern: /\0/ },
  {
    kind: 'path-traversal',
    rule: 'sensitive-path',
    pattern:
      /(^|[\\/])(etc[\\/](passwd|shadow|hosts|sudoers)|windows[\\/]win\.ini|proc[\\/]self[\\/]|boot\.ini)/i,
  },
  { kind: 'path-traversal', rule: 'file-url', pattern: /\bfile:\/\//i },
];

/** Rules on the text as given: what decoding would hide (encodings that are attacks in themselves). */
const RAW_RULES: readonly Rule[] = [
  {
    kind: 'path-traversal',
    rule: 'encoded-dot-dot',
    pattern: /(%2e|%u002e|%c0%ae|\.){2}(%2f|%5c|%c0%af|%255c|%252f|[\\/])|%252e%252e|\.\.%00|%2e%2e/i,
  },
  { kind: 'path-traversal', rule: 'null-byte', pattern: /%00/ },
  { kind: 'sql', rule: 'quote-then-comment', pattern: /['"`][\s)]{0,64}(--|#|\/\*)/ },
  { kind: 'sql', rule: 'inline-comment', pattern: /\/\*[^]{0,256}?\*\// },
];

/**
 * Longest value inspected. Longer input is flagged as `oversized` (and its first part inspected):
 * nothing that names or configures a workflow is this long, and an attack hidden past any bound
 * must not pass as safe.
 */
const MAX_LENGTH = 16_384;

/** Percent-decoding rounds: `%252e` is `%2e` once decoded, `.` twice. */
const DECODE_ROUNDS = 3;

/** `%XX` to the byte's character (Latin-1), never throwing on malformed sequences as decodeURI does. */
function percentDecode(text: string): string {
  return text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Replaces each SQL comment `/* … *\/` with a space, in one pass (an unclosed one runs to the end). */
function stripComments(text: string): string {
  let out = '';
  let from = 0;
  for (let open = text.indexOf('/*'); open !== -1; open = text.indexOf('/*', from)) {
    const close = text.indexOf('*/', open + 2);
    out += text.slice(from, open) + ' ';
    if (close === -1) return out;
    from = close + 2;
  }
  return out + text.slice(from);
}

/**
 * What the rules read: NFKC (fullwidth `．．／` is `../`), percent-decoded, SQL comments as spaces,
 * and every run of whitespace one character (a newline if it holds one, else a space).
 */
function normalise(text: string): string {
  let decoded = text.normalize('NFKC');
  for (let round = 0; round < DECODE_ROUNDS && decoded.includes('%'); round++) {
    decoded = percentDecode(decoded).normalize('NFKC');
  }
  return stripComments(decoded).replace(/\s+/g, (run) => (/[\n\r]/.test(run) ? '\n' : ' '));
}

/**
 * Looks for SQL, SPARQL, shell and path-traversal injection in a value: a heuristic over the
 * syntax attacks need, in linear time. The control is {@link assertSafeIdentifier}'s allow-list.
 * Never throws: a non-string is judged on `String(value)`.
 */
export function detectInjection(value: unknown): InjectionReport {
  let text: string;
  try {
    text = typeof value === 'string' ? value : String(value);
  } catch {
    return { safe: false, threats: [{ kind: 'sql', rule: 'unprintable-value' }] };
  }
  const threats: Threat[] = [];
  const inspected = text.length > MAX_LENGTH ? text.slice(0, MAX_LENGTH) : text;
  if (text.length > MAX_LENGTH) threats.push({ kind: 'oversized', rule: `longer-than-${MAX_LENGTH}` });
  const normalised = normalise(inspected);
  const seen = new Set<string>();
  const check = (rules: readonly Rule[], subject: string): void => {
    for (const { kind, rule, pattern } of rules) {
      if (!seen.has(rule) && pattern.test(subject)) {
        seen.add(rule);
        threats.push({ kind, rule });
      }
    }
  };
  check(RAW_RULES, inspected);
  check(RULES, normalised);
  return { safe: threats.length === 0, threats };
}

/** Letters and digits of any script, then those and `_ . - : # @ / +`, up to 256 characters. */
const IDENTIFIER = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}_.:#@/+-]{0,255}$/u;

/**
 * Identifiers already let through. The verdict is a pure function of the text, and the same few ids
 * (operations, tasks, workflows) are checked on every call that names them, while the check itself
 * runs some forty expressions; bounded, and emptied when full, so strings sent to fill it only cost
 * their own check.
 */
const judgedSafe = new Set<string>();
const JUDGED_SAFE_LIMIT = 4096;

/**
 * Lets through what can safely name a workflow, case or task, and throws otherwise.
 * @throws InjectionError naming the threats (or `not-an-identifier` for spaces, quotes, empty, …)
 */
export function assertSafeIdentifier(id: unknown): asserts id is string {
  if (typeof id === 'string' && judgedSafe.has(id)) return;
  let text: string;
  try {
    text = typeof id === 'string' ? id : String(id);
  } catch {
    text = '(unprintable)';
  }
  const report = detectInjection(text);
  const threats = report.threats.map((t) => `${t.kind}:${t.rule}`);
  if (typeof id !== 'string' || !IDENTIFIER.test(id)) threats.unshift('not-an-identifier');
  if (threats.length > 0) throw new InjectionError(text, threats);
  if (judgedSafe.size >= JUDGED_SAFE_LIMIT) judgedSafe.clear();
  judgedSafe.add(text);
}
