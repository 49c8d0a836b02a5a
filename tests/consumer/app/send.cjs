// The same application as send.mjs, in CommonJS: require() of the ES-module packages
// (Node >= 20.19). Prints one JSON line per send, then where the packages were loaded from.
const { startEmulator } = require("@mailpath/emulator");
const { createMailerFromEnv } = require("mailpath");

async function main() {
  const emulator = await startEmulator();
  try {
    for (const path of ["smtp", "relay", "graph"]) {
      const mailer = await createMailerFromEnv(emulator.env({ MAILPATH_TRANSPORT: path }));
      try {
        const subject = `consumer cjs via ${path}`;
        const result = await mailer.send({ to: "ada@contoso.com", subject, text: "Hi Ada" });
        const delivered = emulator.messages({ subject }).length;
        console.log(JSON.stringify({ path, transport: result.transport, delivered }));
      } finally {
        await mailer.close();
      }
    }
  } finally {
    await emulator.stop();
  }
  console.log(
    JSON.stringify({
      resolved: [require.resolve("mailpath"), require.resolve("@mailpath/emulator")],
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
