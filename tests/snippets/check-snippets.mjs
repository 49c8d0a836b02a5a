#!/usr/bin/env node
// Type-checks every TypeScript snippet (```ts fence) of README.md, docs/**/*.md and
// packages/*/README.md against the built packages, as a user's file would be compiled: an ES
// module (top-level await allowed) under `module`/`moduleResolution` NodeNext, `strict`, with
// `skipLibCheck`. Imports of `mailpath` and `@mailpath/*` resolve to the packages' dist/ types
// through this package's node_modules, so the packages must be built (turbo's ^build).
//
// A snippet that is a fragment of a larger program says what it assumes in an HTML comment right
// above its fence (invisible once rendered), which is compiled in front of it:
//
//   <!-- snippet: context
//   import type { Mailer } from "mailpath";
//   declare const mailer: Mailer;
//   -->
//
// A snippet that cannot compile on purpose (pseudo-code, a shape with "…") is skipped, with the
// reason: `<!-- snippet: skip the reason -->`. Skipped snippets are listed in every report.
//
// Usage: node tests/snippets/check-snippets.mjs   (exit 1 and file:line:column for each error)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "../..");

/** The Markdown files whose TypeScript snippets are checked, relative to the repository root. */
export function markdownFiles() {
  const files = ["README.md"];
  const walk = (directory) => {
    for (const entry of readdirSync(join(root, directory), { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) files.push(path);
    }
  };
  walk("docs");
  for (const entry of readdirSync(join(root, "packages"), { withFileTypes: true })) {
    const path = join("packages", entry.name, "README.md");
    if (entry.isDirectory() && existsSync(join(root, path))) files.push(path);
  }
  return files.sort((a, b) =>
    a === "README.md" ? -1 : b === "README.md" ? 1 : a.localeCompare(b),
  );
}

const FENCE = /^( {0,3}|\s*)(`{3,}|~{3,})\s*([\w+-]*)/;
const MARKER = /^\s*<!--\s*snippet:\s*(context|skip)\b([\s\S]*?)-->\s*$/;

/**
 * The TypeScript snippets of one Markdown text.
 * @param text the Markdown
 * @param file its path, for messages
 * @returns one entry per ```ts / ```typescript fence: { file, line (1-based line of the first code
 *   line), indent, code, context (the TypeScript of a context marker, or ""), skip (the reason of a
 *   skip marker, or undefined) }
 */
export function extractSnippets(text, file) {
  const lines = text.split("\n");
  const snippets = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]);
    if (!open) continue;
    const [, indent, fence, language] = open;
    let end = index + 1;
    while (
      end < lines.length &&
      !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[end])
    )
      end++;
    if (["ts", "typescript", "mts"].includes(language.toLowerCase())) {
      const code = lines
        .slice(index + 1, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
        .join("\n");
      snippets.push({
        file,
        line: index + 2,
        indent: indent.length,
        code,
        ...marker(lines, index, file),
      });
    }
    index = end;
  }
  return snippets;
}

/** The marker comment that ends on the line above the fence at `index` (blank lines between are not allowed). */
function marker(lines, index, file) {
  if (index === 0 || !/-->\s*$/.test(lines[index - 1])) return { context: "", skip: undefined };
  let start = index - 1;
  while (start >= 0 && !lines[start].includes("<!--")) start--;
  const comment = lines.slice(start, index).join("\n");
  const match = MARKER.exec(comment);
  if (!match) {
    if (/<!--\s*snippet/.test(comment)) {
      throw new Error(
        `${file}:${start + 1}: unknown snippet marker (use "snippet: context" or "snippet: skip <reason>")`,
      );
    }
    return { context: "", skip: undefined };
  }
  const [, kind, body] = match;
  if (kind === "skip") {
    const reason = body.trim();
    if (!reason) throw new Error(`${file}:${start + 1}: "snippet: skip" needs a reason`);
    return { context: "", skip: reason };
  }
  return { context: body.replace(/^[^\n]*\n?/, ""), contextLine: start + 2, skip: undefined };
}

export const compilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2023.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ["node"],
  strict: true,
  skipLibCheck: true,
  esModuleInterop: true,
  noEmit: true,
};

/**
 * Compiles snippets, each as its own ES module, in one program.
 * @param snippets from extractSnippets(); skipped ones are not compiled
 * @returns the errors, each { file, line, column, code, message } pointing into the Markdown
 */
export function checkSnippets(snippets) {
  const virtual = new Map();
  snippets.forEach((snippet, number) => {
    if (snippet.skip !== undefined) return;
    const name = `${snippet.file.replace(/[^\w]+/g, "_")}_L${snippet.line}_${number}.mts`;
    const context = snippet.context ? `${snippet.context}\n` : "";
    virtual.set(join(here, "__snippets__", name), {
      snippet,
      context,
      text: `${context}${snippet.code}\n`,
    });
  });
  const host = ts.createCompilerHost(compilerOptions, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => virtual.has(path) || fileExists.call(host, path);
  host.readFile = (path) => virtual.get(path)?.text ?? readFile.call(host, path);
  host.getSourceFile = (path, languageVersion, ...rest) => {
    const entry = virtual.get(path);
    if (entry) return ts.createSourceFile(path, entry.text, languageVersion, true);
    return getSourceFile.call(host, path, languageVersion, ...rest);
  };
  const program = ts.createProgram({
    rootNames: [...virtual.keys()],
    options: compilerOptions,
    host,
  });
  const errors = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    const entry = diagnostic.file && virtual.get(diagnostic.file.fileName);
    if (!entry) {
      errors.push({
        file: diagnostic.file ? relative(root, diagnostic.file.fileName) : "(options)",
        line: 0,
        column: 0,
        code: diagnostic.code,
        message,
      });
      continue;
    }
    const { snippet, context } = entry;
    const position = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const contextLines = context ? context.split("\n").length - 1 : 0;
    const inContext = position.line < contextLines;
    errors.push({
      file: snippet.file,
      line: inContext
        ? snippet.contextLine + position.line
        : snippet.line + position.line - contextLines,
      column: position.character + 1 + (inContext ? 0 : snippet.indent),
      code: diagnostic.code,
      message: inContext ? `(in the snippet's context) ${message}` : message,
    });
  }
  for (const error of errors) {
    const missing = /^Cannot find module '((?:@[^/']+\/)?[^/']+)/.exec(error.message)?.[1];
    if (missing && workspacePackages().has(missing) && !devDependencies().has(missing)) {
      error.message += ` (${missing} is a workspace package: add it to the devDependencies of tests/snippets/package.json as "workspace:*", so that it is linked and turbo builds it before this check)`;
    }
  }
  return errors.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  );
}

/** The names of the packages under packages/. */
function workspacePackages() {
  const names = new Set();
  for (const entry of readdirSync(join(root, "packages"), { withFileTypes: true })) {
    const file = join(root, "packages", entry.name, "package.json");
    if (entry.isDirectory() && existsSync(file))
      names.add(JSON.parse(readFileSync(file, "utf8")).name);
  }
  return names;
}

/** The devDependencies of this package: what snippets can import. */
function devDependencies() {
  return new Set(
    Object.keys(JSON.parse(readFileSync(join(here, "package.json"), "utf8")).devDependencies ?? {}),
  );
}

/** Extracts and checks every snippet; the report the test and the command print. */
export function checkAll(files = markdownFiles()) {
  const snippets = files.flatMap((file) =>
    extractSnippets(readFileSync(join(root, file), "utf8"), file),
  );
  const errors = checkSnippets(snippets);
  const skipped = snippets.filter((snippet) => snippet.skip !== undefined);
  const withContext = snippets.filter((snippet) => snippet.skip === undefined && snippet.context);
  const lines = [
    `${snippets.length - skipped.length} of ${snippets.length} TypeScript snippets in ${files.length} files type-checked ` +
      `(${withContext.length} with a context marker), ${skipped.length} skipped, ${errors.length} errors`,
    ...skipped.map((snippet) => `  skipped ${snippet.file}:${snippet.line}: ${snippet.skip}`),
    ...errors.map(
      (error) => `${error.file}:${error.line}:${error.column} TS${error.code}: ${error.message}`,
    ),
  ];
  return { snippets, skipped, errors, report: lines.join("\n") };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { errors, report } = checkAll();
  console.log(report);
  if (errors.length) process.exitCode = 1;
}
