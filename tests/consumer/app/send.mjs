// An application that installed mailpath from the packed tarballs, as an ES module: one send
// through each path against the emulator. Prints one JSON line per send, then where the
// packages were loaded from.
import { startEmulator } from "@mailpath/emulator";
import { createMailerFromEnv } from "mailpath";

const emulator = await startEmulator();
try {
  for (const path of ["smtp", "relay", "graph"]) {
    const mailer = await createMailerFromEnv(emulator.env({ MAILPATH_TRANSPORT: path }));
    try {
      const subject = `consumer esm via ${path}`;
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
    resolved: [import.meta.resolve("mailpath"), import.meta.resolve("@mailpath/emulator")],
  }),
);
