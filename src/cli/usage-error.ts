/** A bad call of the command (flags, files, input): exit 2 with one line, no stack. */
export class UsageError extends Error {}
