#!/usr/bin/env node
'use strict';
require('tsx/cjs/api').register();
void require('../stack/main.ts').main();
