// Concord's web chat widget. One tag on any page adds it:
//   <script src="https://chat.example.com/widget.js" async></script>
// It talks to the api it was loaded from (the WebSocket protocol is in the README), keeps its
// styles to itself in a shadow root, resumes its conversation after a reload with the signed
// session token (kept for this tab only, in sessionStorage: on a shared computer, closing the
// tab ends the chat; data-remember="device" keeps it in localStorage instead), and re-sends what the server has not acknowledged after a dropped connection,
// never showing a message twice. Every label comes from locales/ through /widget/config.
(() => {
  const script = document.currentScript;
  const api = new URL(script.src, location.href);
  const storage = () => (script.dataset.remember === "device" ? localStorage : sessionStorage);
  const store = {
    get: (key) => { try { return storage().getItem(`concord.${key}`); } catch { return null; } },
    set: (key, value) => { try { storage().setItem(`concord.${key}`, value); } catch { /* private mode */ } },
  };

  const host = document.createElement("div");
  host.id = "concord-chat";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `
    <link rel="stylesheet" href="${new URL("/static/widget.css", api)}">
    <button class="launcher" type="button" aria-expanded="false" aria-controls="panel">
      <svg aria-hidden="true" viewBox="0 0 24 24"><path d="M4 4h16v11H8l-4 4z"/></svg>
      <span data-label="launcher"></span>
    </button>
    <section class="panel" id="panel" role="dialog" aria-labelledby="title" hidden>
      <header>
        <div class="heading">
          <h2 id="title" data-label="title"></h2>
          <p class="status" role="status" data-label="connecting"></p>
        </div>
        <label class="picker"><span class="visually-hidden" data-label="language"></span>
          <select class="language"></select></label>
        <button class="close" type="button"><span aria-hidden="true">×</span>
          <span class="visually-hidden" data-label="close"></span></button>
      </header>
      <ol class="log" role="log" aria-live="polite" tabindex="0"></ol>
      <div class="typing" hidden aria-hidden="true"><span></span><span></span><span></span></div>
      <form class="composer">
        <label for="text" class="visually-hidden" data-label="message_label"></label>
        <input id="text" name="text" autocomplete="off" maxlength="1000" required>
        <button type="submit" data-label="send"></button>
      </form>
    </section>`;
  const $ = (selector) => root.querySelector(selector);
  const launcher = $(".launcher"), panel = $(".panel"), log = $(".log"), statusLine = $(".status");
  const picker = $(".language"), input = $("#text"), typing = $(".typing");

  let labels = {};           // language code → { label name → text }
  let language = script.dataset.language || store.get("language") || document.documentElement.lang || navigator.language;
  let statusKey = "connecting";
  let socket = null, token = store.get("session"), lastId = 0, retryDelay = 500;
  let picked = null;         // a language chosen in the picker that the server has not confirmed yet
  const seen = new Set();
  const unacked = new Map(); // client_id → { text, shown }

  const label = (key) => (labels[language] || labels.en || {})[key] || "";

  function applyLabels() {
    root.querySelectorAll("[data-label]").forEach((el) => { el.textContent = label(el.dataset.label); });
    launcher.setAttribute("aria-label", label("launcher"));
    log.setAttribute("aria-label", label("conversation"));
    input.placeholder = label("placeholder");
    statusLine.textContent = label(statusKey);
    picker.value = language;
  }

  function setStatus(key) { statusKey = key; statusLine.textContent = label(key); }

  async function loadLabels() {
    const config = await (await fetch(new URL("/widget/config", api))).json();
    labels = config.labels;
    if (!labels[language]) language = labels[language.split("-")[0]] ? language.split("-")[0] : config.default_language;
    picker.replaceChildren(...config.languages.map(({ code, name }) => new Option(name, code)));
    applyLabels();
  }

  function connect() {
    // The time zone names the customer's country, for the right crisis lines before we know them.
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    const params = new URLSearchParams({ after: String(lastId), language, zone });
    token = store.get("session") || token;  // another tab may have been given a newer one
    if (token) params.set("session", token);
    const scheme = api.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${api.host}/ws/chat?${params}`);
    socket.onmessage = (event) => handle(JSON.parse(event.data));
    socket.onclose = () => {
      setStatus("reconnecting");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    };
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN && token) socket.send(JSON.stringify({ ...frame, session: token }));
  }

  function handle(frame) {
    switch (frame.type) {
      case "session":
        token = frame.session;
        store.set("session", token);
        if (picked && picked !== frame.language) send({ type: "language", language: picked });
        else useLanguage(frame.language);
        break;
      case "history":
        frame.messages.forEach(show);
        setStatus("online");
        retryDelay = 500;
        for (const [clientId, { text }] of unacked) send({ type: "message", text, client_id: clientId });
        break;
      case "message": show(frame); break;
      case "ack": acknowledged(frame); break;
      case "typing":
        typing.hidden = !frame.on;
        setStatus(frame.on ? "typing" : "online");
        break;
      case "language": picked = null; useLanguage(frame.language); break;
      case "error": notice(frame.message); break;
      case "notice": notice(frame.message); break;
    }
  }

  function useLanguage(code) {
    if (!labels[code]) return;
    language = code;
    store.set("language", code);
    applyLabels();
  }

  function show(message) {
    if (seen.has(message.id)) return;
    seen.add(message.id);
    lastId = Math.max(lastId, message.id);
    const item = document.createElement("li");
    item.className = message.sender;
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = `${label(message.sender === "customer" ? "you" : message.sender === "agent" ? "agent" : "assistant")}: `;
    const text = document.createElement("p");
    text.textContent = message.text;  // customer text is untrusted: always text, never HTML
    const time = document.createElement("time");
    time.dateTime = message.timestamp;
    time.textContent = new Date(message.timestamp).toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" });
    item.append(who, text, time);
    if (message.buttons && message.buttons.length) {
      log.querySelectorAll(".choices").forEach((old) => old.remove());  // only the latest question's choices
      const choices = document.createElement("div");
      choices.className = "choices";
      for (const b of message.buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", () => say(b.payload, b.title));
        choices.append(button);
      }
      item.append(choices);
    }
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  function acknowledged(ack) {
    const sent = unacked.get(ack.client_id);
    unacked.delete(ack.client_id);
    if (sent) show({ id: ack.message_id, sender: "customer", text: sent.shown, buttons: [], timestamp: new Date().toISOString() });
  }

  function notice(text) {
    const item = document.createElement("li");
    item.className = "system";
    item.textContent = text;
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  function say(text, shown = text) {
    const clientId = crypto.randomUUID();
    unacked.set(clientId, { text, shown });
    send({ type: "message", text, client_id: clientId });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    store.set("open", "1");
    if (!socket) connect();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    store.set("open", "");
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  $(".close").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  picker.addEventListener("change", () => {
    picked = picker.value;
    useLanguage(picked);
    send({ type: "language", language: picked });  // or, if not connected yet, once the session arrives
  });
  $(".composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text) say(text);
    input.value = "";
  });

  document.body.append(host);
  loadLabels().then(() => {
    if (store.get("open")) open();
    else if (token) connect();  // a conversation in progress: pick it up quietly
  });
})();
