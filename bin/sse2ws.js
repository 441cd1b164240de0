#!/usr/bin/env node
// Runs the built CLI (dist/, made by `npm run build`, which `npm install` runs in a clone).
import '../dist/node/cli.js';
