// The emulator's SMTP endpoints.
export { ADVERTISED_SIZE, type SmtpEndpoint } from "./common.js";
export { matchConnector, RELAY_HOSTNAME, startRelayEndpoint } from "./relay.js";
export { parseReply, replies, type SmtpReply } from "./replies.js";
export { SMTP_TOKEN_AUDIENCE, SUBMISSION_HOSTNAME, startSubmissionEndpoint } from "./submission.js";
