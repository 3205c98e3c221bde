// The agent console. Everything a customer wrote is put on the page with textContent, never as HTML.
"use strict";

const REASONS = {
  crisis: "Crisis", vulnerability: "Vulnerability", dispute: "Dispute", hardship: "Hardship review",
  negative_sentiment: "Upset", customer_request: "Asked for a person", not_understood: "Not understood",
};
const FLAGS = {
  suicide_risk: "CRISIS: suicide or self-harm", domestic_abuse: "Family or domestic violence",
  bereavement: "Bereavement", serious_illness: "Serious illness", job_loss: "Job loss",
};
let csrf = "";
let me = null;
let current = null;   // the conversation on screen
let lastId = 0;
let socket = null;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, ...(options.headers || {})},
  });
  if (response.status === 401) { window.location.assign("/console/login"); throw new Error("signed out"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : `error ${response.status}`);
  return body;
}

function post(path, body) {
  return api(path, {method: "POST", body: JSON.stringify(body || {})});
}

function waiting(seconds) {
  return seconds < 60 ? `${seconds}s` : seconds < 3600 ? `${Math.floor(seconds / 60)}m` : `${Math.floor(seconds / 3600)}h`;
}

function mood(trend) {
  if (trend === null || trend === undefined) return "–";
  return trend < -0.3 ? `upset (${trend})` : trend > 0.3 ? `positive (${trend})` : `neutral (${trend})`;
}

function renderLists(lists) {
  const body = document.querySelector("#queue tbody");
  body.replaceChildren();
  for (const item of lists.queue) {
    const row = el("tr", null, `priority-${item.priority}`);
    const reason = el("td", REASONS[item.reason] || item.reason);
    if (item.flags.length) reason.append(el("span", " ⚑", "flag-mark"));
    row.append(reason, el("td", item.language), el("td", waiting(item.waiting_seconds)), el("td", mood(item.sentiment_trend)));
    const cell = el("td");
    const view = el("button", "View");
    view.addEventListener("click", () => open(item.conversation_id));
    const claim = el("button", "Claim");
    claim.addEventListener("click", () => claimIt(item.handoff_id));
    cell.append(view, claim);
    row.append(cell);
    body.append(row);
  }
  const mine = document.getElementById("mine");
  mine.replaceChildren();
  for (const item of lists.mine) {
    const entry = el("li");
    const button = el("button", `${REASONS[item.reason] || item.reason} · ${item.language} · ${item.channel}`);
    button.addEventListener("click", () => open(item.conversation_id));
    entry.append(button);
    mine.append(entry);
  }
}

async function claimIt(handoffId) {
  try {
    const result = await post(`/console/api/handoffs/${handoffId}/claim`);
    await open(result.conversation_id);
  } catch (error) {
    alert(error.message);
  }
}

function messageItem(message) {
  const item = el("li", null, `from-${message.sender}`);
  item.dataset.id = message.id;
  const meta = el("div", null, "meta");
  meta.append(el("span", message.sender, "sender"), el("time", new Date(message.at).toLocaleTimeString()));
  if (message.language) meta.append(el("span", message.language, "language"));
  if (message.sentiment) meta.append(el("span", message.sentiment, `sentiment ${message.sentiment}`));
  if (message.cue) meta.append(el("span", FLAGS[message.cue] || message.cue, "cue"));
  item.append(meta, el("p", message.text, "text"));
  return item;
}

function appendMessages(messages) {
  const list = document.getElementById("transcript");
  for (const message of messages) {
    if (message.id <= lastId) continue;
    list.append(messageItem(message));
    lastId = message.id;
  }
  list.lastElementChild?.scrollIntoView({block: "end"});
}

async function open(conversationId) {
  document.getElementById("supervisor").hidden = true;
  hideDashboard();
  current = conversationId;
  lastId = 0;
  document.getElementById("transcript").replaceChildren();
  await refresh();
  socket?.send(JSON.stringify({watch: conversationId, after: lastId}));
}

async function refresh() {
  if (!current) return;
  const view = await api(`/console/api/conversations/${current}`);
  document.getElementById("conversation").hidden = false;
  document.getElementById("panel").hidden = false;
  const flags = document.getElementById("flags");
  flags.replaceChildren(...view.flags.map((flag) => el("p", FLAGS[flag] || flag, `flag flag-${flag}`)));
  const handoff = view.handoff;
  const mine = handoff && handoff.mine && handoff.status === "claimed";
  document.getElementById("state").textContent =
    `${view.conversation.channel} · ${view.conversation.language} · ` +
    `${view.conversation.verified ? "identity verified" : "NOT verified"} · mood ${mood(view.conversation.sentiment_trend)}` +
    (handoff ? ` · ${REASONS[handoff.reason] || handoff.reason}: ${handoff.status}${handoff.claimed_by ? " by " + handoff.claimed_by : ""}` : "");
  appendMessages(view.messages);
  for (const id of ["reply-form", "endings"]) document.getElementById(id).hidden = !mine;
  renderCanned(view.canned);
  renderCustomer(view.customer, mine);
  document.getElementById("notes").replaceChildren(
    ...view.notes.map((note) => el("li", `${note.agent}: ${note.text}`)),
  );
}

function renderCanned(canned) {
  const box = document.getElementById("canned");
  box.replaceChildren(el("span", "Canned replies: "));
  for (const reply of canned) {
    const button = el("button", reply.key.replace("canned_", "").replaceAll("_", " "));
    button.type = "button";
    button.title = reply.text;
    button.addEventListener("click", () => { document.getElementById("reply").value = reply.text; });
    box.append(button);
  }
}

function renderCustomer(customer, mine) {
  const box = document.getElementById("customer");
  box.replaceChildren();
  if (!customer) { box.append(el("p", "Not identified yet.")); return; }
  box.append(el("p", `${customer.name} · ${customer.jurisdiction} · ${customer.timezone}`));
  for (const account of customer.accounts) {
    box.append(el("p", `${account.reference} ${account.product}: balance ${account.balance}, overdue ${account.overdue}, due ${account.due_date}` +
      (account.collection_paused ? ` · paused (${account.collection_paused})` : "")));
  }
  if (customer.care_pause) {
    const lift = el("button", `Lift the care pause (${customer.care_pause}): safe to talk about payments again`);
    lift.addEventListener("click", () => act(`/console/api/conversations/${current}/lift-care-pause`));
    box.append(lift);
  }
  if (customer.contacts.length) {
    box.append(el("h3", "Contacts the assistant started or plans"));
    const list = el("ul", null, "contacts");
    for (const contact of customer.contacts) {
      const reason = contact.rule ? ` (${contact.rule})` : "";
      list.append(el("li", `${new Date(contact.at).toLocaleString()} · ${contact.kind} · ${contact.status}${contact.channel ? " by " + contact.channel : ""}${reason}`));
    }
    box.append(list);
  }
  for (const plan of customer.arrangements) {
    const line = el("div", null, "arrangement");
    line.append(el("p", `${plan.reference} ${plan.kind} · ${plan.status} · ${plan.option || ""} ${plan.affordable ? "can afford " + plan.affordable : ""}`));
    if (plan.pending_approval && mine) {
      for (const decision of ["approve", "decline"]) {
        const button = el("button", decision === "approve" ? "Approve" : "Decline");
        button.addEventListener("click", () => act(`/console/api/arrangements/${plan.id}/decision`, {decision}));
        line.append(button);
      }
      const amount = el("input");
      amount.type = "number"; amount.min = "1"; amount.placeholder = `amount in minor units (${plan.currency})`;
      amount.setAttribute("aria-label", "Adjusted amount in minor units");
      const adjust = el("button", "Adjust and approve");
      adjust.addEventListener("click", () => act(`/console/api/arrangements/${plan.id}/decision`, {decision: "adjust", affordable_minor: Number(amount.value)}));
      line.append(amount, adjust);
    }
    box.append(line);
  }
}

async function act(path, body) {
  const error = document.getElementById("action-error");
  error.textContent = "";
  try {
    await post(path, body);
    await refresh();
  } catch (problem) {
    error.textContent = problem.message;
  }
}

async function renderSupervisor() {
  const view = await api("/console/api/supervisor");
  const all = document.querySelector("#all tbody");
  all.replaceChildren(...view.conversations.map((item) => {
    const row = el("tr", null, `priority-${item.priority}`);
    row.append(el("td", REASONS[item.reason] || item.reason), el("td", item.status), el("td", item.claimed_by || "–"),
      el("td", item.language), el("td", waiting(item.waiting_seconds)), el("td", mood(item.sentiment_trend)));
    row.addEventListener("click", () => open(item.conversation_id));
    return row;
  }));
  const recent = document.querySelector("#recent tbody");
  recent.replaceChildren(...view.recent.map((item) => {
    const row = el("tr");
    row.append(el("td", item.channel), el("td", item.language),
      el("td", new Date(item.last_message_at).toLocaleString()), el("td", mood(item.sentiment_trend)));
    row.addEventListener("click", () => open(item.conversation_id));
    return row;
  }));
  const alerts = document.querySelector("#alerts tbody");
  alerts.replaceChildren(...view.alerts.map((alert) => {
    const row = el("tr");
    row.append(el("td", alert.reference), el("td", new Date(alert.at).toLocaleString()));
    return row;
  }));
  const undelivered = document.querySelector("#undelivered tbody");
  undelivered.replaceChildren(...view.undelivered.map((item) => {
    const row = el("tr");
    row.append(el("td", item.channel), el("td", item.error || "–"), el("td", item.attempts),
      el("td", new Date(item.at).toLocaleString()));
    row.addEventListener("click", () => open(item.conversation_id));
    return row;
  }));
  document.querySelector("#outreach-upcoming tbody").replaceChildren(...view.outreach.upcoming.map((item) => {
    const row = el("tr");
    row.append(el("td", item.kind), el("td", item.count));
    return row;
  }));
  document.querySelector("#outreach-decided tbody").replaceChildren(...view.outreach.decided.map((item) => {
    const row = el("tr");
    row.append(el("td", item.verdict), el("td", item.rule), el("td", item.count));
    return row;
  }));
  const agents = document.querySelector("#agents tbody");
  agents.replaceChildren(...view.agents.map((agent) => {
    const row = el("tr");
    row.append(el("td", agent.username), el("td", agent.name), el("td", agent.role), el("td", agent.languages.join(", ")), el("td", agent.holding));
    return row;
  }));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/console/ws`);
  const live = document.getElementById("live");
  socket.addEventListener("open", () => {
    live.textContent = "Live";
    if (current) socket.send(JSON.stringify({watch: current, after: lastId}));
  });
  socket.addEventListener("close", () => { live.textContent = "Reconnecting…"; setTimeout(connect, 2000); });
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "lists") {
      renderLists(frame);
      if (!document.getElementById("supervisor").hidden) renderSupervisor();
    } else if (frame.type === "messages" && frame.conversation_id === current) {
      appendMessages(frame.messages);
      refresh();
    }
  });
}

async function start() {
  const who = await api("/console/api/me");
  csrf = who.csrf;
  me = who.agent;
  document.getElementById("who").textContent = `${me.name} (${me.role}; reads ${me.languages.join(", ")})`;
  const supervisor = document.getElementById("show-supervisor");
  supervisor.hidden = me.role === "agent";
  supervisor.addEventListener("click", async () => {
    for (const id of ["conversation", "panel"]) document.getElementById(id).hidden = true;
    hideDashboard();
    document.getElementById("supervisor").hidden = false;
    await renderSupervisor();
  });
  startDashboard(me);  // console-dashboard.js: the dashboard and webhooks views, for supervisors
  document.getElementById("sign-out").addEventListener("click", async () => {
    await post("/console/logout");
    window.location.assign("/console/login");
  });
  document.getElementById("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = document.getElementById("reply");
    if (!box.value.trim()) return;
    await act(`/console/api/conversations/${current}/reply`, {text: box.value});
    box.value = "";
  });
  document.getElementById("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = document.getElementById("note");
    if (!box.value.trim()) return;
    await act(`/console/api/conversations/${current}/notes`, {text: box.value});
    box.value = "";
  });
  document.getElementById("hand-back").addEventListener("click", () => act(`/console/api/conversations/${current}/hand-back`));
  document.getElementById("close").addEventListener("click", () =>
    act(`/console/api/conversations/${current}/close`, {outcome: document.getElementById("outcome").value}));
  connect();
}

start();
