// The workshop console's page: polls /api/state, draws one column per running variant,
// and sends the controls' actions. Plain DOM, no library: the page must work offline.
"use strict";

const state = { catalog: null, latest: null, units: [], lastOrders: {} };

// ---- small helpers ----------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function figure(value, unit = "") {
  return value === null || value === undefined ? "–" : `${value}${unit}`;
}

// Every call says what the server said: an error body's detail becomes the error's message.
async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new Error(`the console does not answer (${error.message})`);
  }
  const text = await response.text();
  let answer;
  try { answer = text ? JSON.parse(text) : {}; } catch { answer = { detail: text }; }
  if (!response.ok) {
    const detail = typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer.detail);
    throw new Error(`${response.status}: ${detail}`);
  }
  return answer;
}

function say(message, kind = "done") {
  const list = document.getElementById("messages");
  const lines = Array.isArray(message) ? message : [message];
  const item = el("li", { class: kind, "data-kind": kind },
    `${new Date().toLocaleTimeString()} `, lines.join("; "));
  list.prepend(item);
  while (list.children.length > 8) list.lastChild.remove();
}

// Runs an action; its answer's "done" (or the server's error) goes to the messages.
async function act(method, path, body) {
  try {
    const answer = await api(method, path, body);
    say(answer.done);
    poll(false);
    return answer;
  } catch (error) {
    say(error.message, "error");
    return null;
  }
}

// ---- the columns -------------------------------------------------------------------------

const HEALTH = { ready: "ready", starting: "starting", down: "no answer" };

function unitRow(unit, launcherAvailable) {
  const controls = launcherAvailable ? [
    el("button", { type: "button", class: "small", "data-testid": `kill-${unit.name}`,
      onclick: () => act("POST", `/api/units/${encodeURIComponent(unit.name)}/kill`) }, "kill"),
    el("button", { type: "button", class: "small", "data-testid": `restart-${unit.name}`,
      onclick: () => act("POST", `/api/units/${encodeURIComponent(unit.name)}/restart`) }, "restart"),
  ] : [];
  return el("li", { "data-unit": unit.name },
    el("span", { class: `health ${unit.health}`, "data-testid": `health-${unit.name}` },
      HEALTH[unit.health] || unit.health),
    " ", unit.name, " ", ...controls);
}

function table(rows) {
  return el("table", {}, rows.map(([label, value, testid]) =>
    el("tr", {}, el("th", {}, label), el("td", { "data-testid": testid }, value))));
}

function lastOrder(variant) {
  const result = state.lastOrders[variant];
  if (!result) return el("p", { class: "quiet" }, "no order placed from here yet");
  const status = result.status || "no answer";
  return el("p", { class: "last-order" },
    "last order: ",
    el("span", { class: `status ${status}`, "data-testid": `last-status-${variant}` }, status),
    ` HTTP ${figure(result.http_status)}, ack ${figure(result.ack_ms, " ms")}`,
    `, final ${figure(result.final_ms, " ms")} `,
    result.order_id ? el("button", { type: "button", class: "small",
      "data-testid": `timeline-${variant}`, onclick: () => openTimeline(result.order_id) },
    "timeline") : null,
    result.reason ? el("span", { class: "quiet" }, ` ${result.reason}`) : null,
    result.error ? el("span", { class: "error" }, ` ${result.error}`) : null);
}

function column(data, launcherAvailable) {
  const live = data.live || {};
  const orders = data.orders || {};
  const rows = [
    ["orders/s (last min)", figure(live.orders_per_s), `rate-${data.variant}`],
    ["ack p95", figure(live.ack_p95_ms, " ms"), `ack-${data.variant}`],
    ["placed → final p95", figure(orders.placed_to_final_p95_ms, " ms"), `final-${data.variant}`],
  ];
  if (data.mesh) {
    rows.push(["mesh attempts / order", figure(data.mesh.attempts_per_order), `mesh-${data.variant}`]);
    rows.push(["mesh retries, per-try timeouts",
      `${figure(data.mesh.retries)}, ${figure(data.mesh.per_try_timeouts)}`, null]);
  }
  if (data.variant === "event_driven") {
    rows.push(["pending orders (oldest)",
      `${figure(orders.pending)} (${figure(orders.oldest_pending_s, " s")})`, `pending-${data.variant}`]);
    rows.push(["events not yet published", figure(data.unpublished_events), null]);
  }
  const fault = data.payment_fault;
  rows.push(["payment fault", fault ? `${fault.latency_ms} ms, ${Math.round(fault.failure_rate * 1000) / 10} % fail`
    : "–", `fault-${data.variant}`]);
  const byStatus = Object.entries(orders.by_status || {}).sort()
    .map(([status, count]) => el("span", { class: `status ${status}` }, `${status} ${count}`));
  const stock = Object.entries(data.stock || {})
    .map(([sku, count]) => el("li", {}, `${sku}: ${figure(count)}`));
  const audit = data.audit;
  let auditNode = el("p", { class: "quiet" }, "audit: not yet run");
  if (audit && audit.error) auditNode = el("p", { class: "error" }, `audit: ${audit.error}`);
  else if (audit) {
    const kinds = Object.entries(audit.anomalies);
    auditNode = el("div", { "data-testid": `audit-${data.variant}` },
      el("p", {}, `audit (${new Date(audit.at).toLocaleTimeString()}): `,
        el("strong", { class: audit.total ? "bad" : "good" }, `${audit.total} anomalies`)),
      kinds.length ? el("ul", {}, kinds.map(([kind, count]) => el("li", {}, `${kind}: ${count}`))) : null);
  }
  return el("article", { class: "column", "data-variant": data.variant, "data-testid": `column-${data.variant}` },
    el("h2", {}, data.variant.replace("_", "-")),
    el("p", { class: "quiet" }, data.base_url),
    el("ul", { class: "units" }, data.units.map((unit) => unitRow(unit, launcherAvailable))),
    table(rows),
    el("p", { class: "by-status", "data-testid": `by-status-${data.variant}` }, "orders: ", byStatus),
    el("ul", { class: "stock" }, stock),
    auditNode,
    lastOrder(data.variant),
    data.problems && data.problems.length ? el("p", { class: "error" }, data.problems.join("; ")) : null);
}

function draw(latest) {
  state.latest = latest;
  document.getElementById("sampled-at").textContent =
    latest.sampled_at ? new Date(latest.sampled_at).toLocaleTimeString() : "never";
  const running = latest.columns.filter((c) => c.running);
  const stopped = latest.columns.filter((c) => !c.running).map((c) => c.variant);
  document.getElementById("columns").replaceChildren(
    ...running.map((data) => column(data, latest.launcher.available)));
  document.getElementById("not-running").textContent = stopped.length
    ? `Not running: ${stopped.join(", ")} (start with shopdemo up --variant NAME).` : "";
  document.getElementById("launcher-note").textContent = latest.launcher.available
    ? "Kill (SIGKILL, as a crash would) and restart are next to each unit in its column."
    : latest.launcher.reason;
  document.getElementById("mesh-note").textContent = latest.mesh.available ? "" :
    "No mesh admin URL was given to the console.";
  drawVariantChoices(running.map((c) => c.variant));
  drawLoad(latest.load);
}

function drawVariantChoices(variants) {
  const select = document.getElementById("order-variants");
  const wanted = ["all", ...variants];
  if ([...select.options].map((o) => o.value).join() !== wanted.join()) {
    const previous = select.value;
    select.replaceChildren(...wanted.map((v) => el("option", { value: v }, v === "all" ? "every running variant" : v)));
    if (wanted.includes(previous)) select.value = previous;
  }
  const box = document.getElementById("load-variants");
  const shown = [...box.querySelectorAll("input")].map((i) => i.value);
  if (shown.join() !== variants.join()) {
    const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    box.replaceChildren(...variants.map((v) => el("label", {},
      el("input", { type: "checkbox", value: v, "data-testid": `load-${v}`, checked: checked.size === 0 || checked.has(v) }), v)));
  }
}

function drawLoad(load) {
  const parts = Object.entries(load.variants).map(([variant, tally]) =>
    `${variant}: sent ${tally.sent}, ack p95 ${figure(tally.ack_p95_ms, " ms")}` +
    ` (${Object.entries(tally.answers).map(([s, n]) => `${s}×${n}`).join(" ")})` +
    (tally.error ? ` error: ${tally.error}` : ""));
  document.getElementById("load-status").textContent = load.running
    ? `running at ${load.rate_per_s} orders/s per variant. ${parts.join("; ")}`
    : parts.length ? `stopped. ${parts.join("; ")}` : "no load";
}

let pollTimer = null;
async function poll(again = true) {
  try {
    const latest = await api("GET", "/api/state");
    draw(latest);
    if (again) pollTimer = setTimeout(poll, latest.refresh_ms);
  } catch (error) {
    say(`refresh failed: ${error.message}`, "error");
    if (again) pollTimer = setTimeout(poll, 5000);
  }
}

// ---- the controls ------------------------------------------------------------------------

function lineRow(sku = "MUG-LOGO", quantity = 1) {
  const select = el("select", { class: "sku" },
    state.catalog.products.map((p) => el("option", { value: p.sku }, `${p.name} (${p.sku})`)));
  select.value = sku;
  return el("div", { class: "line" }, select,
    el("input", { class: "quantity", type: "number", min: "1", max: "100", step: "1", value: String(quantity), "aria-label": "quantity" }),
    el("button", { type: "button", class: "small", onclick: (event) => event.target.parentElement.remove() }, "remove"));
}

function wholeNumber(raw, low, high, what) {
  const value = Number(raw);
  if (raw === "" || !Number.isInteger(value) || value < low || value > high) {
    throw new Error(`${what} must be a whole number from ${low} to ${high}`);
  }
  return value;
}

async function placeOrder(event) {
  event.preventDefault();
  let order;
  try {
    const items = [...document.querySelectorAll("#order-lines .line")].map((row) => ({
      sku: row.querySelector(".sku").value,
      quantity: wholeNumber(row.querySelector(".quantity").value, 1, 100, "quantity"),
    }));
    if (items.length === 0) throw new Error("add at least one product");
    order = { items, payment_token: document.getElementById("token").value };
  } catch (error) {
    say(error.message, "error");
    return;
  }
  const chosen = document.getElementById("order-variants").value;
  const answer = await act("POST", "/api/orders", { order, variants: chosen === "all" ? "all" : [chosen] });
  if (answer) {
    for (const result of answer.results) state.lastOrders[result.variant] = result;
    if (state.latest) draw(state.latest);
  }
}

async function startLoad(event) {
  event.preventDefault();
  const rate = Number(document.getElementById("load-rate").value);
  if (!(rate >= 0.1 && rate <= 100)) {
    say("orders/s must be a number from 0.1 to 100", "error");
    return;
  }
  const variants = [...document.querySelectorAll("#load-variants input:checked")].map((i) => i.value);
  if (variants.length === 0) {
    say("choose at least one variant for the load", "error");
    return;
  }
  await act("POST", "/api/load", { rate_per_s: rate, variants });
}

async function setFault(event) {
  event.preventDefault();
  let body;
  try {
    const latency = wholeNumber(document.getElementById("fault-latency").value, 0, 60000, "added latency");
    const percent = Number(document.getElementById("fault-rate").value);
    const raw = document.getElementById("fault-rate").value;
    if (raw === "" || !(percent >= 0 && percent <= 100)) throw new Error("failure rate must be from 0 to 100 %");
    body = { latency_ms: latency, failure_rate: percent / 100 };
  } catch (error) {
    say(error.message, "error");
    return;
  }
  await act("PUT", "/api/payment-fault", body);
}

// ---- one order's timeline ---------------------------------------------------------------

function timelineCard(order, title) {
  const longest = Math.max(1, ...order.steps.map((s) => s.after_placed_ms));
  const summary = order.variant === "event_driven"
    ? `pending for ${figure(order.pending_for_ms, " ms")}`
    : `placed → final ${figure(order.placed_to_final_ms ?? order.pending_for_ms, " ms")}`;
  return el("article", { class: "timeline", "data-testid": `timeline-card-${order.variant}` },
    el("h3", {}, `${order.variant}: `, el("span", { class: `status ${order.status}` }, order.status)),
    el("p", { class: "quiet" }, title, " · ", order.id),
    el("p", {}, summary, order.stopped_after ? ` · stopped after ${order.stopped_after}` : "",
      order.reason ? ` · ${order.reason}` : ""),
    el("ol", {}, order.steps.map((step) => el("li", {},
      el("span", { class: "bar", style: `width:${Math.max(2, 100 * step.after_placed_ms / longest)}%` }),
      el("span", { class: "step" }, `${step.step} `, el("em", {}, step.service)),
      el("span", { class: "quiet" }, ` +${step.after_placed_ms} ms (step ${step.took_ms} ms)`),
      step.detail ? el("span", { class: "quiet" }, ` ${step.detail}`) : null))));
}

async function openTimeline(orderId) {
  document.getElementById("order-id").value = orderId;
  try {
    const answer = await api("GET", `/api/orders/${encodeURIComponent(orderId)}`);
    document.getElementById("timelines").replaceChildren(
      timelineCard(answer.order, "this order"),
      ...answer.others.map((other) => timelineCard(other, other.chosen_as)));
    document.getElementById("timeline-panel").scrollIntoView({ block: "nearest" });
  } catch (error) {
    say(error.message, "error");
  }
}

// ---- reports -------------------------------------------------------------------------------

async function loadReports() {
  try {
    const list = await api("GET", "/api/reports");
    document.getElementById("reports").replaceChildren(...(list.length ? list.map((report) => el("li", {},
      el("a", { href: `/reports/${encodeURIComponent(report.name)}/report.html`, target: "_blank", "data-testid": `report-${report.name}` }, report.name),
      ` ${report.scenarios.join(", ")} on ${report.variants.join(", ")}, ${report.rate_per_s} orders/s for ${report.duration_s} s`,
      report.reading.length ? el("div", { class: "quiet" }, report.reading[0]) : null))
      : [el("li", { class: "quiet" }, "no report yet: run shopdemo compare")]));
  } catch (error) {
    say(error.message, "error");
  }
}

async function loadMeshPolicies() {
  try {
    const answer = await api("GET", "/api/mesh/policies");
    document.getElementById("mesh-file").replaceChildren(
      ...answer.files.map((file) => el("option", { value: file }, file)));
  } catch (error) {
    say(error.message, "error");
  }
}

async function start() {
  state.catalog = await api("GET", "/api/catalog");
  document.getElementById("token").replaceChildren(
    ...state.catalog.payment_tokens.map((token) => el("option", { value: token }, token)));
  document.getElementById("order-lines").append(lineRow());
  document.getElementById("add-line").addEventListener("click",
    () => document.getElementById("order-lines").append(lineRow("TSHIRT-BLK-M")));
  document.getElementById("order-form").addEventListener("submit", placeOrder);
  document.getElementById("load-form").addEventListener("submit", startLoad);
  document.getElementById("stop-load").addEventListener("click", () => act("DELETE", "/api/load"));
  document.getElementById("fault-form").addEventListener("submit", setFault);
  document.getElementById("clear-fault").addEventListener("click", () => act("DELETE", "/api/payment-fault"));
  document.getElementById("mesh-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act("POST", "/api/mesh/apply", { file: document.getElementById("mesh-file").value });
  });
  document.getElementById("reset-mesh").addEventListener("click", () => act("POST", "/api/mesh/reset"));
  document.getElementById("timeline-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = document.getElementById("order-id").value.trim();
    if (!/^[0-9a-fA-F-]{36}$/.test(id)) {
      say("an order id is a UUID, like 0b6f4a7e-...-...; copy one from a column's last order", "error");
      return;
    }
    openTimeline(id);
  });
  document.getElementById("refresh-reports").addEventListener("click", loadReports);
  await Promise.all([loadMeshPolicies(), loadReports()]);
  poll();
}

start().catch((error) => say(error.message, "error"));
