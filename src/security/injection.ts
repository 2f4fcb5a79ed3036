import { InjectionError } from '../errors.js';

export type ThreatKind = 'sql' | 'sparql' | 'shell' | 'path-traversal';

export interface Threat {
  readonly kind: ThreatKind;
  /** What matched, for logs: the rule's name. */
  readonly rule: string;
}

export interface InjectionReport {
  readonly safe: boolean;
  readonly threats: readonly Threat[];
}

/**
 * Each rule looks for the *syntax* an attack needs — a quote closed and a clause opened, a
 * statement chained after `;`, a command substituted — never for a bare keyword, so identifiers such
 * as `select-best-quote`, `drop-zone-upload` or `update-inventory` stay safe.
 */
const RULES: readonly (Threat & { readonly pattern: RegExp })[] = [
  // SQL
  {
    kind: 'sql',
    rule: 'quote-then-boolean',
    pattern: /['"`]\s*\)?\s*(or|and|\|\||&&)\s*[\s('"`\d\w]*\s*(=|like|<|>|is\b)/i,
  },
  { kind: 'sql', rule: 'tautology', pattern: /\b(or|and)\s+(['"]?\w+['"]?)\s*=\s*\2/i },
  { kind: 'sql', rule: 'quote-then-comment', pattern: /['"`]\s*\)?\s*(--|#|\/\*)/ },
  {
    kind: 'sql',
    rule: 'stacked-statement',
    pattern:
      /;\s*(select|insert|update|delete|drop|alter|create|truncate|exec|execute|grant|shutdown|declare)\b/i,
  },
  { kind: 'sql', rule: 'union-select', pattern: /\bunion\b(\s+|\/\*.*?\*\/)+(all\s+)?select\b/i },
  {
    kind: 'sql',
    rule: 'select-list-from',
    pattern: /\bselect\s+(\*|distinct\b|top\s+\d|null\b|@@|[\w.]+\s*,|[\w.]+\s*\()[^]*\bfrom\b/i,
  },
  { kind: 'sql', rule: 'select-from-where', pattern: /\bselect\s+[\w.]+\s+from\s+[\w.`"[\]]+\s+where\b/i },
  {
    kind: 'sql',
    rule: 'ddl',
    pattern: /\b(drop|truncate|alter)\s+(table|database|schema|view|index|user)\b/i,
  },
  { kind: 'sql', rule: 'insert-into', pattern: /\binsert\s+into\s+[\w.`"[\]]+\s*(\(|values\b|select\b)/i },
  { kind: 'sql', rule: 'delete-from', pattern: /\bdelete\s+from\s+[\w.`"[\]]+\s*(where\b|;|--)/i },
  { kind: 'sql', rule: 'update-set', pattern: /\bupdate\s+[\w.`"[\]]+\s+set\s+[\w.`"[\]]+\s*=/i },
  { kind: 'sql', rule: 'inline-comment', pattern: /\/\*.*?\*\// },
  {
    kind: 'sql',
    rule: 'stored-procedure-or-timing',
    pattern:
      /\b(xp_cmdshell|sp_executesql|waitfor\s+delay|pg_sleep\s*\(|sleep\s*\(\s*\d|benchmark\s*\(\s*\d|load_file\s*\(|into\s+(out|dump)file)\b/i,
  },
  // SPARQL
  { kind: 'sparql', rule: 'query-form', pattern: /\b(select|construct|describe|ask)\b[^]*?\bwhere\s*\{/i },
  { kind: 'sparql', rule: 'update-data', pattern: /\b(insert|delete)\s+((data|where)\s*)?\{/i },
  {
    kind: 'sparql',
    rule: 'graph-management',
    pattern: /\b(drop|clear|create|load|copy|move|add)\s+(silent\s+)?(graph|all|default|named)\b/i,
  },
  { kind: 'sparql', rule: 'load-iri', pattern: /\bload\s+(silent\s+)?</i },
  {
    kind: 'sparql',
    rule: 'block-breakout',
    pattern:
      /[>}"']\s*[.;]?\s*\}\s*[;.]?\s*(insert|delete|drop|clear|select|union|filter|optional|bind|service)\b/i,
  },
  { kind: 'sparql', rule: 'iri-breakout', pattern: />\s*[.;]\s*[<?]|>\s*\}/ },
  {
    kind: 'sparql',
    rule: 'prefix-or-service',
    pattern: /\b(prefix\s+[\w-]*:\s*<|service\s+(silent\s+)?<|base\s+<)/i,
  },
  {
    kind: 'sparql',
    rule: 'filter-injection',
    pattern: /['"]\s*\)\s*(\|\||&&|\.|\})|\b(filter|bind)\s*\(.*\b(regex|contains|strstarts|sameterm)\s*\(/i,
  },
  // Shell
  { kind: 'shell', rule: 'command-substitution', pattern: /`[^`]*`|\$\([^)]*\)|\$\{[^}]*\}/ },
  {
    kind: 'shell',
    rule: 'chained-command',
    pattern:
      /(;|&&|\|\||\||&|\n|\r)\s*(sh|bash|zsh|dash|rm|cat|curl|wget|nc|ncat|netcat|python\d?|perl|ruby|php|node|chmod|chown|echo|ls|id|whoami|uname|ping|nslookup|kill|sudo|su|eval|exec|mkfifo|tee|dd|base64|env|printenv|reboot|shutdown)\b/i,
  },
  {
    kind: 'shell',
    rule: 'shell-path',
    pattern: /\/bin\/(ba|z|da|k)?sh\b|\bcmd(\.exe)?\s*\/c\b|\bpowershell(\.exe)?\b/i,
  },
  {
    kind: 'shell',
    rule: 'redirection-to-path',
    pattern: /(>>?|<)\s*\/(etc|dev|tmp|var|proc|bin|usr|root|home)\//,
  },
  // Path traversal
  { kind: 'path-traversal', rule: 'dot-dot-segment', pattern: /(^|[\\/])\.\.($|[\\/])/ },
  {
    kind: 'path-traversal',
    rule: 'encoded-dot-dot',
    pattern: /(%2e|%u002e|%c0%ae|\.){2}(%2f|%5c|%c0%af|%255c|%252f|[\\/])|%252e%252e|\.\.%00|%2e%2e/i,
  },
  { kind: 'path-traversal', rule: 'null-byte', pattern: /\0|%00/ },
  {
    kind: 'path-traversal',
    rule: 'sensitive-path',
    pattern:
      /(^|[\\/])(etc[\\/](passwd|shadow|hosts|sudoers)|windows[\\/]win\.ini|proc[\\/]self[\\/]|boot\.ini)/i,
  },
  { kind: 'path-traversal', rule: 'file-url', pattern: /\bfile:\/\//i },
];

/** Longest value inspected: longer input is judged on this much and flagged on its length. */
const MAX_LENGTH = 4096;

/**
 * Looks for SQL, SPARQL, shell and path-traversal injection in a value. Never throws: a non-string
 * is judged on `String(value)`.
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
  for (const { kind, rule, pattern } of RULES) if (pattern.test(inspected)) threats.push({ kind, rule });
  return { safe: threats.length === 0, threats };
}

/** Letters and digits of any script, then those and `_ . - : # @ / +`, up to 256 characters. */
const IDENTIFIER = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}_.:#@/+-]{0,255}$/u;

/**
 * Lets through what can safely name a workflow, case or task, and throws otherwise.
 * @throws InjectionError naming the threats (or `not-an-identifier` for spaces, quotes, empty, …)
 */
export function assertSafeIdentifier(id: unknown): asserts id is string {
  const text = typeof id === 'string' ? id : String(id);
  const report = detectInjection(text);
  const threats = report.threats.map((t) => `${t.kind}:${t.rule}`);
  if (typeof id !== 'string' || !IDENTIFIER.test(id)) threats.unshift('not-an-identifier');
  if (threats.length > 0) throw new InjectionError(text, threats);
}
