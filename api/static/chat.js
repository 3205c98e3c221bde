// Plain-page web chat: resumes with a signed session token, never shows a message twice,
// and re-sends what the server has not acknowledged after a dropped connection.
(() => {
  const log = document.getElementById("log");
  const statusLine = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const seen = new Set();
  const unacked = new Map();
  let lastId = 0;
  let socket;
  let retryDelay = 500;

  function connect() {
    const params = new URLSearchParams({ after: String(lastId) });
    const token = localStorage.getItem("concord.session");
    if (token) params.set("session", token);
    const lang = document.documentElement.lang;
    if (lang) params.set("language", lang);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/chat?${params}`);
    socket.onopen = () => { statusLine.textContent = "Connected"; retryDelay = 500;
      for (const { shown, ...frame } of unacked.values()) socket.send(JSON.stringify(frame)); };
    socket.onclose = () => { statusLine.textContent = "Reconnecting…";
      setTimeout(connect, retryDelay); retryDelay = Math.min(retryDelay * 2, 10000); };
    socket.onmessage = (event) => handle(JSON.parse(event.data));
  }

  function handle(frame) {
    if (frame.type === "session") localStorage.setItem("concord.session", frame.session);
    else if (frame.type === "history") frame.messages.forEach(show);
    else if (frame.type === "message") show(frame);
    else if (frame.type === "ack") acknowledged(frame);
    else if (frame.type === "typing") statusLine.textContent = frame.on ? "Typing…" : "Connected";
    else if (frame.type === "error") showNotice(frame.message);
  }

  function show(message) {
    if (seen.has(message.id)) return;
    seen.add(message.id);
    lastId = Math.max(lastId, message.id);
    const item = document.createElement("li");
    item.className = message.sender;
    item.textContent = message.text;  // customer text is untrusted: always text, never HTML
    const time = document.createElement("time");
    time.dateTime = message.timestamp;
    time.textContent = new Date(message.timestamp).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    item.append(time);
    if (message.buttons && message.buttons.length) {
      const choices = document.createElement("div");
      choices.className = "choices";
      for (const b of message.buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", () => send(b.payload, b.title));
        choices.append(button);
      }
      item.append(choices);
    }
    log.append(item);
    item.scrollIntoView({ block: "end" });
  }

  function acknowledged(ack) {
    const sent = unacked.get(ack.client_id);
    unacked.delete(ack.client_id);
    if (sent) show({ id: ack.message_id, sender: "customer", text: sent.shown, buttons: [],
                     timestamp: new Date().toISOString() });
  }

  function showNotice(text) {
    const item = document.createElement("li");
    item.className = "system";
    item.textContent = text;
    log.append(item);
  }

  function send(text, shown = text) {
    const frame = { type: "message", text, client_id: crypto.randomUUID() };
    unacked.set(frame.client_id, { ...frame, shown });
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text) send(text);
    input.value = "";
  });

  connect();
})();
