import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'coverage', 'readme-blocks', 'docs/api'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The packed package's consumer checks (scripts/check-package.sh): plain Node scripts.
    files: ['scripts/consumer/**'],
    languageOptions: {
      globals: { require: 'readonly', setTimeout: 'readonly' },
      sourceType: 'module',
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Engine code takes time only from an injected SchedulerLike (DESIGN.md §1.3).
    files: ['src/**/*.ts', 'operators/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use scheduler.now().' },
      ],
    },
  },
);
