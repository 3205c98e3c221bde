// The supervisors' dashboard and the webhook delivery log, in the agent console.
// Loaded before console.js, which calls startDashboard and hideDashboard; uses its el, api, post
// and REASONS. Charts are SVG drawn here (the page's policy allows no outside code and no inline
// styles); every bar has its number beside it.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const KINDS = {instalments: "Instalment plans", promise: "Promises to pay", hardship: "Hardship plans"};
  const SPLITS = {channel: "Channel", language: "Language", jurisdiction: "Jurisdiction"};
  const PARITY = {
    right_party_contact: "Identity checked",
    contained: "No person needed",
    agreed: "Arrangement made",
    promises_kept: "Promises kept",
    instalments_kept: "Instalments kept",
    plans_defaulted: "Plans defaulted",
    csat_mean: "CSAT score",
    median_seconds_to_claim: "Wait for a person (median)",
  };
  const STAFF_VIEWS = ["dashboard", "webhooks"];
  // Only the latest request's answer is shown: an earlier one arriving late is dropped.
  let dashboardAsked = 0;
  let webhooksAsked = 0;

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  function addDays(day, days) {
    const date = new Date(`${day}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + days);
    return isoDay(date);
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "–" : `${Math.round(rate * 100)}%`;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const whole = Math.round(seconds);
    if (whole < 60) return `${whole}s`;
    if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
    return `${Math.floor(whole / 3600)}h ${Math.floor((whole % 3600) / 60)}m`;
  }

  function money(list) {
    return list.length ? list.map((amount) => amount.formatted).join(" · ") : "–";
  }

  // A horizontal bar: parts are [fraction, class] laid end to end on a light track.
  function bar(parts, label) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 100 10");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("class", "bar");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    const track = document.createElementNS(SVG, "rect");
    track.setAttribute("width", "100");
    track.setAttribute("height", "10");
    track.setAttribute("class", "track");
    svg.append(track);
    let x = 0;
    for (const [fraction, className] of parts) {
      const width = Math.max(0, Math.min(100 - x, (fraction || 0) * 100));
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", String(x));
      rect.setAttribute("width", String(width));
      rect.setAttribute("height", "10");
      rect.setAttribute("class", className);
      svg.append(rect);
      x += width;
    }
    return svg;
  }

  // One row of a chart: its name, its bar, and the number beside it.
  function chartRow(name, parts, number, label) {
    const row = el("div", null, name ? "chart-row" : "chart-row unnamed");
    if (name) row.append(el("span", name, "chart-name"));
    row.append(bar(parts, label || (name ? `${name}: ${number}` : number)), el("span", number, "chart-number"));
    return row;
  }

  function figure(key, title, ...content) {
    const box = el("section", null, "figure");
    box.dataset.figure = key;
    box.append(el("h3", title), ...content);
    return box;
  }

  function big(text) {
    return el("p", text, "big");
  }

  function rateRow(name, part, whole, rate, of) {
    return chartRow(name, [[rate, "good"]], `${percent(rate)} (${part} of ${whole}${of ? " " + of : ""})`);
  }

  function countChart(items) {
    const most = Math.max(1, ...items.map((item) => item.count));
    return items.map((item) => chartRow(item.name, [[item.count / most, "count"]], item.number || String(item.count)));
  }

  function outcomeChart(outcomes, total) {
    // Kept, late, and missed or broken, as one bar; the numbers beside it.
    const parts = outcomes.map(([, count, className]) => [total ? count / total : 0, className]);
    const number = outcomes.map(([name, count]) => `${name} ${count}`).join(" · ");
    return chartRow("", parts, number, number);
  }

  function renderFigures(view) {
    const all = view.overall;
    const talk = all.conversations;
    const handoffs = all.handoffs;
    const promises = all.promises;
    const instalments = all.instalments;
    const plans = all.plans;
    const csat = all.csat;
    const box = document.getElementById("dashboard-figures");
    box.replaceChildren(
      figure("conversations", "Conversations customers started writing in", big(talk.count)),
      figure("right_party_contact", "Identity checked (right-party contact)",
        rateRow("", talk.right_party_contact, talk.count, talk.right_party_contact_rate)),
      figure("contained", "Handled without a person (self-service)",
        rateRow("", talk.contained, talk.count, talk.contained_rate)),
      figure("agreed", "Arrangement made, of conversations with identity checked",
        rateRow("", talk.agreed, talk.right_party_contact, talk.agreed_rate)),
      figure("handoffs", "Asked for a person",
        big(`${handoffs.count} (${handoffs.claimed} claimed)`),
        el("p", `Wait until claimed: median ${duration(handoffs.median_seconds_to_claim)}, mean ${duration(handoffs.mean_seconds_to_claim)}`),
        ...countChart(handoffs.by_reason.map((reason) => ({
          name: REASONS[reason.reason] || reason.reason,
          count: reason.count,
          number: `${reason.count} · median wait ${duration(reason.median_seconds_to_claim)}`,
        })))),
      figure("arrangements", "Arrangements made",
        big(all.arrangements.made),
        ...countChart(all.arrangements.by_kind.map((kind) => ({
          name: KINDS[kind.kind] || kind.kind, count: kind.made, number: `${kind.made} · ${money(kind.amounts)}`,
        }))),
        el("p", `Amount arranged: ${money(all.arrangements.amounts)}`)),
      figure("promises", "Promises that fell due",
        outcomeChart([["kept", promises.kept, "good"], ["late", promises.late, "late"], ["broken", promises.broken, "bad"]],
          promises.kept + promises.late + promises.broken),
        el("p", `Kept on time: ${percent(promises.kept_rate)}`)),
      figure("instalments", "Instalments that fell due",
        outcomeChart([["kept", instalments.kept, "good"], ["late", instalments.late, "late"], ["missed", instalments.missed, "bad"]],
          instalments.kept + instalments.late + instalments.missed),
        el("p", `Kept on time: ${percent(instalments.kept_rate)}`)),
      figure("plans", "Plans that ended",
        outcomeChart([["completed", plans.completed, "good"], ["defaulted", plans.defaulted, "bad"]],
          plans.completed + plans.defaulted),
        el("p", `Defaulted: ${percent(plans.default_rate)}`)),
      figure("collected", "Collected (payments not reversed)",
        ...(all.collected.length
          ? all.collected.map((amount) => el("p", `${amount.formatted} from ${amount.payments} payment${amount.payments === 1 ? "" : "s"}`, "amount"))
          : [big("–")]),
        ...all.reversed.map((amount) => el("p", `Reversed, not counted: ${amount.formatted} (${amount.payments})`))),
      figure("opt_outs", "Opted out", big(all.opt_outs)),
      figure("cases", "Disputes and payment claims",
        el("p", `Disputes: ${all.cases.dispute}`), el("p", `Says already paid: ${all.cases.already_paid}`)),
      figure("csat", "Satisfaction (CSAT, 1–5)",
        big(csat.mean_score === null ? "–" : `${csat.mean_score} average`),
        rateRow("Answered", csat.responses, csat.asked, csat.response_rate, "asked"),
        ...countChart(["5", "4", "3", "2", "1"].map((score) => ({name: score, count: csat.distribution[score]})))),
    );
  }

  function renderSplit(view) {
    const section = document.getElementById("dashboard-split-section");
    section.hidden = !view.by;
    if (!view.by) return;
    document.getElementById("dashboard-split-title").textContent = `By ${SPLITS[view.by].toLowerCase()}`;
    document.getElementById("dashboard-split-key").textContent = SPLITS[view.by];
    const most = Math.max(1, ...view.groups.map((group) => group.conversations.count));
    document.querySelector("#dashboard-split tbody").replaceChildren(...view.groups.map((group) => {
      const talk = group.conversations;
      const row = el("tr");
      row.dataset.key = group.key;
      const count = el("td", null, "numeric");
      count.append(bar([[talk.count / most, "count"]], `${talk.count} conversations`), el("span", talk.count));
      const rate = (value, part, whole) => {
        const cell = el("td", null, "numeric");
        cell.append(bar([[value, "good"]], percent(value)), el("span", `${percent(value)} (${part}/${whole})`));
        return cell;
      };
      row.append(
        el("th", group.key),
        count,
        rate(talk.right_party_contact_rate, talk.right_party_contact, talk.count),
        rate(talk.contained_rate, talk.contained, talk.count),
        el("td", group.handoffs.count, "numeric"),
        el("td", duration(group.handoffs.median_seconds_to_claim), "numeric"),
        el("td", group.arrangements.made, "numeric"),
        el("td", percent(group.instalments.kept_rate), "numeric"),
        el("td", money(group.collected)),
        el("td", group.opt_outs, "numeric"),
        el("td", group.csat.mean_score === null ? "–" : group.csat.mean_score, "numeric"),
      );
      return row;
    }));
  }

  function parityValue(metric, value) {
    if (value === null || value === undefined) return "–";
    if (metric.unit === "rate") return percent(value);
    if (metric.unit === "seconds") return duration(value);
    return String(value);
  }

  function parityGap(metric, gap) {
    if (gap === null || gap === undefined) return "";
    const sign = gap > 0 ? "+" : gap < 0 ? "−" : "±";
    if (metric.unit === "rate") return `${sign}${Math.abs(Math.round(gap * 100))} pts`;
    if (metric.unit === "seconds") return `${sign}${duration(Math.abs(gap))}`;
    return `${sign}${Math.abs(gap).toFixed(2)}`;
  }

  function renderParity(parity) {
    const head = document.querySelector("#parity thead tr");
    head.replaceChildren(el("th", "Language"), ...parity.metrics.map((metric) => el("th", PARITY[metric.key] || metric.key)));
    const everyone = el("tr", null, "everyone");
    everyone.dataset.language = "everyone";
    everyone.append(el("th", "Everyone"), ...parity.metrics.map((metric) => {
      const shown = parity.overall[metric.key];
      return el("td", `${parityValue(metric, shown.value)} (n ${shown.n})`, "numeric");
    }));
    const rows = parity.languages.map((language) => {
      const row = el("tr");
      row.dataset.language = language.language;
      row.append(el("th", language.language), ...parity.metrics.map((metric) => {
        const shown = language.metrics[metric.key];
        const cell = el("td", null, shown.worse ? "numeric worse" : "numeric");
        cell.append(el("span", `${parityValue(metric, shown.value)} (n ${shown.n})`));
        if (shown.gap !== null) cell.append(el("span", parityGap(metric, shown.gap), "gap"));
        if (shown.worse) cell.append(el("span", "served worse", "worse-note"));
        return cell;
      }));
      return row;
    });
    document.querySelector("#parity tbody").replaceChildren(everyone, ...rows);
    const margins = parity.margins;
    document.getElementById("parity-note").textContent =
      `Each language beside everyone, with the gap; marked where it is worse by ${Math.round(margins.rate * 100)} points ` +
      `or more (CSAT ${margins.score} points, a wait ${Math.round(margins.seconds * 100)}% longer). ` +
      "n is how many the figure rests on: a gap over a few conversations may be chance.";
  }

  async function renderDashboard() {
    const from = document.getElementById("dashboard-from").value;
    const to = document.getElementById("dashboard-to").value;
    const by = document.getElementById("dashboard-by").value;
    const error = document.getElementById("dashboard-error");
    error.textContent = "";
    const query = new URLSearchParams({start: from, end: addDays(to, 1)});
    if (by) query.set("by", by);
    const asked = ++dashboardAsked;
    let view;
    try {
      view = await api(`/console/api/dashboard?${query}`);
    } catch (problem) {
      if (asked === dashboardAsked) error.textContent = problem.message;
      return;
    }
    if (asked !== dashboardAsked) return;  // a newer period or split was asked for meanwhile
    document.getElementById("dashboard-period").textContent =
      `${from} to ${to}, both days included (days in UTC)`;
    renderFigures(view);
    renderSplit(view);
    renderParity(view.parity);
  }

  async function renderWebhooks() {
    const error = document.getElementById("webhooks-error");
    error.textContent = "";
    const onlyFailed = document.getElementById("webhooks-failed").checked;
    const asked = ++webhooksAsked;
    let log;
    try {
      log = await api(`/console/api/webhooks?only_failed=${onlyFailed}`);
    } catch (problem) {
      if (asked === webhooksAsked) error.textContent = problem.message;
      return;
    }
    if (asked !== webhooksAsked) return;
    document.querySelector("#webhook-log tbody").replaceChildren(...log.events.map((event) => {
      const row = el("tr", null, `delivery-${event.delivery}`);
      row.dataset.event = event.event_id;
      const action = el("td");
      const replay = el("button", "Replay");
      replay.title = "Send this event to the creditor's systems again now";
      replay.addEventListener("click", async () => {
        replay.disabled = true;
        try {
          await post(`/console/api/webhooks/${event.event_id}/replay`);
          await renderWebhooks();
        } catch (problem) {
          error.textContent = problem.message;
          replay.disabled = false;
        }
      });
      action.append(replay);
      row.append(
        el("td", event.event_id), el("td", event.kind), el("td", event.account || "–"),
        el("td", new Date(event.occurred_at).toLocaleString()), el("td", event.delivery, "delivery"),
        el("td", event.attempts, "numeric"), el("td", event.last_status ?? "–", "numeric"), el("td", event.last_error || "–"),
        el("td", event.next_attempt_at ? new Date(event.next_attempt_at).toLocaleString() : "–"), action,
      );
      return row;
    }));
  }

  function hideDashboard() {
    for (const id of STAFF_VIEWS) document.getElementById(id).hidden = true;
  }

  async function showStaffView(id) {
    for (const other of ["conversation", "panel", "supervisor", ...STAFF_VIEWS]) {
      document.getElementById(other).hidden = other !== id;
    }
    if (id === "dashboard") await renderDashboard();
    else await renderWebhooks();
  }

  function startDashboard(agent) {
    if (agent.role === "agent") return;  // supervisors and admins only; the api refuses agents too
    const today = isoDay(new Date());
    document.getElementById("dashboard-to").value = today;
    document.getElementById("dashboard-from").value = addDays(today, -29);
    for (const id of STAFF_VIEWS) {
      const button = document.getElementById(`show-${id}`);
      button.hidden = false;
      button.addEventListener("click", () => showStaffView(id));
    }
    document.getElementById("dashboard-form").addEventListener("submit", (event) => {
      event.preventDefault();
      renderDashboard();
    });
    document.getElementById("dashboard-by").addEventListener("change", () => renderDashboard());
    document.getElementById("webhooks-failed").addEventListener("change", () => renderWebhooks());
    document.getElementById("webhooks-refresh").addEventListener("click", () => renderWebhooks());
  }

  // What console.js calls.
  window.startDashboard = startDashboard;
  window.hideDashboard = hideDashboard;
})();
