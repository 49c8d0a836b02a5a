// Entry of the `mailpath-emulator` bin (bin/mailpath-emulator.js imports the built file).
import { runEmulatorCommand } from "./cli/run.js";

const stopped = new Promise<NodeJS.Signals>((resolve) => {
  process.once("SIGINT", resolve);
  process.once("SIGTERM", resolve);
});

process.exitCode = await runEmulatorCommand(
  process.argv.slice(2),
  {
    write: (text) => process.stdout.write(text),
    error: (text) => process.stderr.write(text),
  },
  stopped,
);
