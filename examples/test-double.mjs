// jmapd as the JMAP server of a JavaScript/TypeScript client's tests (Node 18+, fetch built in).
//   JMAPD=/path/to/.venv/bin/jmapd node examples/test-double.mjs
// Starts `jmapd serve --ephemeral`, reads the one line of JSON it prints, talks JMAP to it, switches
// a fault on through the admin API, and stops it (its temporary data folder goes with it).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const jmapd = spawn(process.env.JMAPD ?? "jmapd",
  ["serve", "--ephemeral", "--users", "alice,bob", "--seed", "demo", "--deterministic"],
  { stdio: ["ignore", "pipe", "inherit"] });
const info = JSON.parse(await new Promise((resolve, reject) => {
  createInterface({ input: jmapd.stdout }).once("line", resolve);
  jmapd.once("exit", (code) => reject(new Error(`jmapd exited with status ${code}`)));
}));

const alice = info.users[0];
const auth = "Basic " + Buffer.from(`${alice.username}:${alice.password}`).toString("base64");
const jmap = async (...methodCalls) => {
  const response = await fetch(info.apiUrl, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], methodCalls }),
  });
  return { status: response.status, body: await response.json() };
};
const admin = (path, body) => fetch(`${info.adminUrl}${path}`, {
  method: body === undefined ? "GET" : "POST",
  headers: { authorization: `Bearer ${info.adminToken}`, "content-type": "application/json" },
  body: body === undefined ? undefined : JSON.stringify(body),
});

try {
  const { body } = await jmap(["Mailbox/get", { accountId: alice.accountId, ids: null }, "0"]);
  const inbox = body.methodResponses[0][1].list.find((m) => m.role === "inbox");
  console.log(`Inbox: ${inbox.totalEmails} emails`);

  await admin("/faults", { kind: "http", user: "alice", status: 503, count: 1 });
  const failed = await jmap(["Core/echo", {}, "0"]);
  console.log(`with the fault on: HTTP ${failed.status}`);
  const again = await jmap(["Core/echo", {}, "0"]);
  console.log(`and then: HTTP ${again.status}`);
  if (inbox.totalEmails === 0 || failed.status !== 503 || again.status !== 200) process.exitCode = 1;
} finally {
  jmapd.kill("SIGTERM");
}
