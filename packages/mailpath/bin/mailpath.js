#!/usr/bin/env node
// A committed entry point, so pnpm links the `mailpath` command at install time, before dist/ is built.
import "../dist/cli.js";
