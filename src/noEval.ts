// Imported first by every entry point: the page runs under a Content-Security-Policy without
// 'unsafe-eval' (vite.config.ts), so zod must not compile parsers with `new Function` — nor even
// probe for it, which a strict CSP reports as a violation although zod catches the error.
import { z } from 'zod';

z.config({ jitless: true });
