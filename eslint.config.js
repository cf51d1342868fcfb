// ESLint flat config: typescript-eslint, no import cycles, and the layer fences of docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const engineBannedGlobals = [
  'window', 'self', 'document', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval',
  'performance', 'postMessage', 'Worker', 'MessageChannel', 'requestAnimationFrame', 'navigator',
].map((name) => ({ name, message: 'src/engine is pure: time, timers and I/O come in through its host/Env.' }));

export default tseslint.config(
  { ignores: ['dist/**', '.dbg/**', 'node_modules/**', 'test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    languageOptions: { globals: { ...globals.es2022 } },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.mjs'] } },
    },
    rules: {
      'import-x/no-cycle': 'error',
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', ...engineBannedGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'The engine runs on virtual time.' },
        { object: 'Math', property: 'random', message: 'The engine uses its seeded random source.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date']", message: 'The engine runs on virtual time.' },
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/ui/**', '**/workers/**', 'react', 'react-dom', 'd3', '@xterm/*', 'comlink', 'node:*'], message: 'Dependencies point one way: ui → workers → engine.' }] },
      ],
    },
  },
  {
    files: ['src/workers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/ui/**', 'react', 'react-dom', 'd3', '@xterm/*'], message: 'Workers are thin adapters: they never import the UI.' }] },
      ],
    },
  },
  {
    // The page talks to a runtime through LabController and runs no engine code of its own: types
    // only. (Pure helpers it needs at once — the assembler, chapter texts, checking a link — come
    // through src/workers/pure.ts, where the choice is written down.)
    files: ['src/ui/**/*.{ts,tsx}', 'src/main.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/engine', '**/engine/**'], allowTypeImports: true, message: 'The UI imports engine types only: values come through src/workers (LabController, src/workers/pure.ts).' }] },
      ],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}', 'src/main.tsx', 'src/workers/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['scripts/**', 'bench/**', 'src/cli/**', 'tests/**', '**/*.test.ts', '*.config.{js,ts}'],
    languageOptions: { globals: { ...globals.node } },
  },
);
