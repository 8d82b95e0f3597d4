#!/usr/bin/env node
'use strict';
// crawlflow runs its TypeScript sources directly through tsx: no build step, so the
// CLI, the workers and the tests always run the code that is checked out.
require('tsx/cjs/api').register();
void require('../cli/main.ts').main();
