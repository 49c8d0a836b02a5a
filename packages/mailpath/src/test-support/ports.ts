/** The address the emulator's default IP-matched relay connector lists. */
export const CONNECTOR_IP = "127.0.0.2";
