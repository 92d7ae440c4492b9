// Drive one call of an official SDK and print what the SDK returned as JSON.
// The base URLs come from the environment agentsh gives the session
// (ANTHROPIC_BASE_URL, OPENAI_BASE_URL): the SDKs read them themselves.
//   node sdk.mjs '<job json>'
// job: {"call": "anthropic.create" | "anthropic.stream" | "anthropic.count"
//        | "chat.create" | "chat.stream" | "responses.create"
//        | "responses.stream", "params": {...}}
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

const job = JSON.parse(process.argv[2]);
const opts = { maxRetries: 0, timeout: 30000 };

async function anthropicCall(a, p) {
  if (job.call === "anthropic.create") {
    const m = await a.messages.create(p);
    return { text: m.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
      content: m.content, usage: m.usage };
  }
  if (job.call === "anthropic.count")
    return await a.messages.countTokens(p);
  let text = "";
  const deltas = [];
  const s = a.messages.stream(p);
  s.on("text", (t) => { text += t; deltas.push(t); });
  const m = await s.finalMessage();
  return { text, deltas, content: m.content, usage: m.usage };
}

async function chatCall(o, p) {
  if (job.call === "chat.create") {
    const c = await o.chat.completions.create(p);
    return { text: c.choices[0].message.content, message: c.choices[0].message, usage: c.usage };
  }
  let text = "", usage = null;
  const deltas = [];
  const s = await o.chat.completions.create({ ...p, stream: true });
  for await (const ch of s) {
    if (ch.usage) usage = ch.usage;
    const d = ch.choices?.[0]?.delta?.content;
    if (d) { text += d; deltas.push(d); }
  }
  return { text, deltas, usage };
}

async function responsesCall(o, p) {
  if (job.call === "responses.create") {
    const r = await o.responses.create(p);
    return { text: r.output_text, usage: r.usage };
  }
  let text = "";
  const deltas = [];
  const s = o.responses.stream(p);
  s.on("response.output_text.delta", (e) => { text += e.delta; deltas.push(e.delta); });
  const r = await s.finalResponse();
  const final = r.output.filter((i) => i.type === "message")
    .flatMap((i) => i.content).filter((c) => c.type === "output_text")
    .map((c) => c.text).join("");
  return { text, deltas, final, usage: r.usage };
}

async function main() {
  let out;
  try {
    if (job.call.startsWith("anthropic."))
      out = await anthropicCall(new Anthropic({ apiKey: job.key ?? "sk-ant-test", ...opts }), job.params);
    else if (job.call.startsWith("chat."))
      out = await chatCall(new OpenAI({ apiKey: job.key ?? "sk-test", ...opts }), job.params);
    else
      out = await responsesCall(new OpenAI({ apiKey: job.key ?? "sk-test", ...opts }), job.params);
    out.ok = true;
  } catch (e) {
    out = { ok: false, status: e.status ?? null, error: String(e.message ?? e) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main();
