// The API report of a published package: every name each entry point (`exports` of its
// package.json) gives users, with its signature, as text. Each package's api-report test
// compares it with the committed `api/<entry>.api.md`, so a change of the public surface shows
// in review as a diff of that file. After an intended change: `npx vitest run -u src/api-report`
// in the package, and commit the updated file with a changeset.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";

const FORMAT =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope |
  ts.TypeFormatFlags.WriteArrayAsGenericType;

/**
 * The source file behind each entry point of the package in `packageDir`.
 * @returns `[entry name ("index", "testing", …), absolute path of its src/*.ts]`
 */
function entries(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  return Object.entries(manifest.exports ?? {}).flatMap(([subpath, target]) => {
    const file = typeof target === "string" ? target : target.default;
    if (!file?.startsWith("./dist/") || !file.endsWith(".js")) return [];
    const name = subpath === "." ? "index" : subpath.slice(2).replaceAll("/", "-");
    return [[name, join(packageDir, "src", `${file.slice("./dist/".length, -3)}.ts`)]];
  });
}

function compilerOptions(packageDir) {
  const configPath = join(packageDir, "tsconfig.json");
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath)).options;
}

/** One exported symbol as text: its kind, name and signature, without comments or bodies. */
function describe(checker, printer, exportName, exported) {
  const symbol =
    exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const lines = [];
  const declarations = symbol.declarations ?? [];
  const flags = symbol.flags;
  if (flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Enum)) {
    for (const declaration of declarations) {
      if (
        ts.isInterfaceDeclaration(declaration) ||
        ts.isTypeAliasDeclaration(declaration) ||
        ts.isEnumDeclaration(declaration)
      ) {
        lines.push(
          printer.printNode(ts.EmitHint.Unspecified, declaration, declaration.getSourceFile()),
        );
        // A type derived from a value (a schema: `z.input<typeof schema>`) says little by its
        // declaration: the members it stands for are printed too, so their changes show.
        const type = checker.getDeclaredTypeOfSymbol(symbol);
        if (
          ts.isTypeAliasDeclaration(declaration) &&
          declaration.type.getText().includes("typeof ") &&
          type.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)
        ) {
          const node = checker.typeToTypeNode(
            type,
            declaration,
            ts.NodeBuilderFlags.NoTruncation |
              ts.NodeBuilderFlags.InTypeAlias |
              ts.NodeBuilderFlags.MultilineObjectLiterals,
          );
          if (node) {
            lines.push(
              `// ${exportName} stands for:`,
              printer.printNode(ts.EmitHint.Unspecified, node, declaration.getSourceFile()),
            );
          }
        }
      }
    }
  }
  if (flags & ts.SymbolFlags.Class) {
    const declaration = declarations.find(ts.isClassDeclaration);
    const instance = checker.getDeclaredTypeOfSymbol(symbol);
    const classType = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    const members = (type, prefix) =>
      checker
        .getPropertiesOfType(type)
        .filter((member) => member.name !== "prototype" && !member.name.startsWith("#"))
        .filter((member) => {
          const modifiers = ts.getCombinedModifierFlags(member.valueDeclaration ?? declaration);
          return !(modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
        })
        .map(
          (member) =>
            `  ${prefix}${member.name}${member.flags & ts.SymbolFlags.Optional ? "?" : ""}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(member, declaration), declaration, FORMAT)};`,
        );
    lines.push(
      `class ${exportName} {`,
      ...classType
        .getConstructSignatures()
        .map((signature) => `  constructor${checker.signatureToString(signature, declaration)};`),
      ...members(classType, "static "),
      ...members(instance, ""),
      "}",
    );
  } else if (flags & ts.SymbolFlags.Function) {
    const declaration = declarations[0];
    const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    for (const signature of type.getCallSignatures()) {
      lines.push(
        `function ${exportName}${checker.signatureToString(signature, declaration, FORMAT)};`,
      );
    }
  } else if (flags & ts.SymbolFlags.Variable) {
    const declaration = declarations[0];
    const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    lines.push(`const ${exportName}: ${checker.typeToString(type, declaration, FORMAT)};`);
  }
  if (lines.length === 0) lines.push(`/* ${exportName}: ${ts.SymbolFlags[flags] ?? flags} */`);
  // Re-exported under another name: say which.
  if (symbol.name !== exportName && symbol.name !== "default") {
    lines.unshift(`// ${exportName} is ${symbol.name}`);
  }
  return lines.join("\n");
}

/**
 * The API report of each entry point of a package.
 * @param {string} packageDir absolute path of packages/<name>
 * @returns {Record<string, string>} report text per entry name
 */
export function apiReport(packageDir) {
  const files = entries(packageDir);
  const program = ts.createProgram(
    files.map(([, file]) => file),
    { ...compilerOptions(packageDir), noEmit: true },
  );
  const checker = program.getTypeChecker();
  const printer = ts.createPrinter({ removeComments: true });
  const reports = {};
  for (const [name, file] of files) {
    const source = program.getSourceFile(file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`api-report: cannot read ${file}`);
    const exported = checker
      .getExportsOfModule(moduleSymbol)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    reports[name] = [
      `# API report: ${name}`,
      "",
      "Generated by scripts/api-report.mjs; update with `npx vitest run -u src/api-report` in the package.",
      "",
      "```ts",
      ...exported.map((symbol) => describe(checker, printer, symbol.name, symbol)),
      "```",
      "",
    ].join("\n");
  }
  return reports;
}
