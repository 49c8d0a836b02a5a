// The emulator's default app registration with other application permissions, for the checks
// that read a token's roles (the doctor's tests and the CLI's).
import {
  type AppPermission,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type Emulator,
} from "@mailpath/emulator";

/** Re-registers the default app (its client secret) with only `permissions` granted. */
export function grantDefaultApp(emulator: Emulator, permissions: readonly AppPermission[]): void {
  emulator.configure({
    apps: [
      {
        clientId: DEFAULT_CLIENT_ID,
        secrets: [{ value: DEFAULT_CLIENT_SECRET }],
        permissions,
      },
    ],
  });
}
