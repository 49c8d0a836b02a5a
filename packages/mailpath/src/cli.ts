#!/usr/bin/env node
// The `mailpath` command. Everything lives in ./cli; this file only runs it.
import { main } from "./cli/main.js";

process.exitCode = await main(process.argv.slice(2));
