// 一次 · 掌上办: the citizen guide. Plain JavaScript, no build step. Routes
// live in the hash (#/, #/service/ID, #/ask/ID, #/result/ID, #/screen,
// #/screen/result); the answers of an interview live in sessionStorage only
// (this tab), and are sent to the service's open endpoints, which store
// nothing. `?date=YYYY-MM-DD` in the address sets the application date.
"use strict";

const main = document.getElementById("main");
const live = document.getElementById("status");
const params = new URLSearchParams(location.search);
const applicationDate = params.get("date") || null;
let servicesCache = null;

// ---- display modes -------------------------------------------------------
for (const [id, cls] of [["mode-large", "large"], ["mode-contrast", "contrast"]]) {
  const button = document.getElementById(id);
  const on = localStorage.getItem("guide-" + cls) === "1";
  document.documentElement.classList.toggle(cls, on);
  button.setAttribute("aria-pressed", String(on));
  button.addEventListener("click", () => {
    const now = !document.documentElement.classList.contains(cls);
    document.documentElement.classList.toggle(cls, now);
    button.setAttribute("aria-pressed", String(now));
    localStorage.setItem("guide-" + cls, now ? "1" : "0");
  });
}

// ---- helpers -------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function show(title, ...nodes) {
  document.title = title + " · 一次 · 掌上办";
  main.replaceChildren(...nodes.flat(4).filter((n) => n !== null && n !== undefined && n !== false));
  const heading = main.querySelector("h1, legend");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  live.textContent = title;
}

function dateWords(text) {
  if (!text) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : text;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch("api/" + path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || "服务暂时无法回答，请稍后再试");
    error.path = data.path;
    throw error;
  }
  return data;
}

function failure(error) {
  show("出错了", h("h1", {}, "出错了"), h("p", { class: "error", role: "alert" }, error.message),
    h("p", {}, h("a", { href: "#/" }, "返回首页")));
}

async function services() {
  if (!servicesCache) servicesCache = await api("services");
  return servicesCache;
}

const FORM = { original: "原件", copy: "复印件", electronic: "电子材料" };
const STATUS = {
  eligible: ["符合", "根据您的回答，您符合办理条件。"],
  ineligible: ["不符合", "根据您的回答，您暂不符合办理条件。"],
  undetermined: ["还需补充", "还需要补充信息才能判断。"],
  partial: ["部分符合", "部分事项可以现在办理。"],
};

// ---- home: search and the list --------------------------------------------
async function home() {
  const list = await services();
  const events = [...new Set(list.flatMap((s) => s.life_events))];
  let chosen = null;
  const results = h("div", { id: "results", "aria-live": "polite" });
  const search = h("input", { type: "search", id: "search", placeholder: "如：居住证、公积金、出生", autocomplete: "off" });
  const chips = h("div", { class: "chips", role: "group", "aria-label": "按人生事件筛选" },
    events.map((e) => h("button", { type: "button", "aria-pressed": "false", onclick: (ev) => {
      chosen = chosen === e ? null : e;
      for (const b of chips.children) b.setAttribute("aria-pressed", String(b.textContent === chosen));
      render();
    } }, e)));
  function render() {
    const q = search.value.trim();
    const shown = list.filter((s) => (!chosen || s.life_events.includes(chosen)) &&
      (!q || s.title.includes(q) || s.department.name.includes(q) || s.life_events.some((e) => e.includes(q))));
    results.replaceChildren(
      h("p", { class: "muted" }, `共 ${shown.length} 项`),
      ...shown.map((s) => h("a", { class: "card", href: "#/service/" + s.id },
        h("span", { class: "title" }, s.title),
        h("span", { class: "muted", style: "display:block" }, s.department.name),
        s.kind === "bundle" ? h("span", { class: "tag" }, "一件事") : null,
        s.life_events.map((e) => h("span", { class: "tag" }, e)))));
  }
  search.addEventListener("input", render);
  render();
  show("办事指南",
    h("h1", {}, "办事指南"),
    h("p", {}, "先在手机上弄清楚能不能办、要带什么、去哪里办，最多跑一次。无需登录。"),
    h("a", { class: "btn wide", href: "#/screen", id: "start-screen" }, "我能办什么？回答几个问题看看"),
    h("label", { for: "search" }, "搜索事项（名称、部门或人生事件）"), search,
    chips, results);
}

// ---- a service's page -----------------------------------------------------
function conditionTree(c) {
  if (c.kind === "rule" || c.kind === "other") {
    return h("li", {}, c.title || "", c.cite ? h("span", { class: "cite" }, "依据：" + c.cite) : null);
  }
  const label = { all: "同时满足：", any: "满足其中之一：", not: "不属于以下情形：" }[c.kind];
  return h("li", {}, label, h("ul", {}, c.parts.map(conditionTree)));
}

function materialLine(m) {
  const where = m.source === "shared"
    ? `免提交：部门通过「${m.dataset ? m.dataset.name : ""}」数据共享获取；无法获取时由申请人提供`
    : m.source === "commitment" ? "告知承诺：签署承诺书即可，无需提供证明" : "由申请人提供";
  return h("li", {}, h("strong", {}, m.name), `（${FORM[m.form] || m.form}${m.copies > 1 ? "，" + m.copies + "份" : ""}）`,
    h("span", { class: "cite" }, (m.condition ? "如" + m.condition + "时需要。" : "") + where));
}

function stepLine(s) {
  return h("li", {}, h("strong", {}, s.title), h("br"),
    `${s.department.name} · ${s.days === 0 ? "当场办结" : s.days + (s.day_kind === "working" ? "个工作日" : "日（自然日）")}`);
}

function policySections(page) {
  return [
    h("p", { class: "muted" }, page.department.name),
    page.basis.length ? h("p", { class: "cite" }, "依据：" + page.basis.join("；")) : null,
    h("h2", {}, "办理条件"),
    h("ul", { class: "cond" }, conditionTree(page.conditions)),
    h("h2", {}, "申请材料"),
    h("ul", { class: "plain" }, page.materials.map(materialLine)),
    h("h2", {}, "办理流程"),
    h("ol", { class: "timeline" }, page.steps.map(stepLine)),
  ];
}

async function servicePage(id) {
  const page = await api("services/" + encodeURIComponent(id));
  const start = h("a", { class: "btn wide", href: "#/ask/" + id, id: "start" }, "开始自测：看看我能不能办");
  if (page.kind === "bundle") {
    show(page.title, h("h1", {}, page.title),
      h("p", {}, `一次申请，联办 ${page.members.length} 个事项；共同的信息只问一次。`), start,
      page.members.map((m) => h("section", {}, h("h2", {}, m.title), ...policySections(m).slice(0, 1),
        h("details", {}, h("summary", {}, "条件、材料与流程"), ...policySections(m).slice(1)))));
  } else {
    show(page.title, h("h1", {}, page.title), start, ...policySections(page));
  }
}

// ---- the interview --------------------------------------------------------
function stateKey(kind, id) { return `guide-${kind}-${id}-${applicationDate || ""}`; }
function loadState(kind, id) {
  try {
    const s = JSON.parse(sessionStorage.getItem(stateKey(kind, id)));
    if (s && s.answers) return s;
  } catch (_) { /* a fresh interview */ }
  return { answers: {}, unknown: [], order: [], defs: {} };
}
function saveState(kind, id, s) { sessionStorage.setItem(stateKey(kind, id), JSON.stringify(s)); }

function endpoint(kind, id) {
  if (kind === "screen") return "screen";
  return (kind === "bundle" ? "bundles/" : "policies/") + encodeURIComponent(id) + "/interview";
}

function request(s) {
  const body = { answers: s.answers, unknown: s.unknown };
  if (applicationDate) body.application_date = applicationDate;
  return body;
}

async function kindOf(id) {
  const found = (await services()).find((s) => s.id === id);
  return found ? found.kind : "policy";
}

function answerText(def, value) {
  if (value === undefined) return "不知道";
  if (!def) return JSON.stringify(value);
  if (def.type === "bool") return value ? "是" : "否";
  if (def.type === "enum") return (def.values.find((v) => v.value === value) || {}).title || value;
  if (def.type === "date") return dateWords(value);
  if (def.type === "money") return value + " 元";
  if (def.type === "list") return `${value.length} 项`;
  if (def.type === "set") return value.join("、") || "无";
  return String(value);
}

function field(def, name, value, idPrefix) {
  const id = idPrefix + name.replace(/\W/g, "_");
  const range = [def.min !== undefined ? "最小 " + def.min : null, def.max !== undefined ? "最大 " + def.max : null].filter(Boolean).join("，");
  switch (def.type) {
    case "bool":
    case "enum": {
      const options = def.type === "bool"
        ? [{ value: true, title: "是" }, { value: false, title: "否" }] : def.values;
      return h("div", { role: "radiogroup", "aria-labelledby": id + "-label" },
        options.map((o, i) => h("label", { class: "choice", for: id + "-" + i },
          h("input", { type: "radio", name: id, id: id + "-" + i, value: JSON.stringify(o.value),
            checked: value !== undefined && value === o.value }), o.title)));
    }
    case "date":
      return h("input", { type: "date", id, name: id, value: value || "", "aria-labelledby": id + "-label" });
    case "int":
      return h("input", { type: "number", id, name: id, inputmode: "numeric", step: "1", min: def.min, max: def.max,
        value: value === undefined ? "" : value, "aria-labelledby": id + "-label", "aria-describedby": range ? id + "-range" : null });
    case "money":
    case "decimal":
      return h("div", { class: "unit" }, h("input", { type: "text", id, name: id, inputmode: "decimal",
        value: value === undefined ? "" : value, "aria-labelledby": id + "-label" }),
        def.type === "money" ? h("span", { "aria-hidden": "true" }, "元") : null);
    case "set":
      return h("textarea", { id, name: id, "aria-labelledby": id + "-label", "aria-describedby": id + "-hint" },
        (value || []).join("\n"));
    default:
      return h("input", { type: "text", id, name: id, value: value || "", "aria-labelledby": id + "-label" });
  }
}

function readField(def, name, root, idPrefix) {
  const id = idPrefix + name.replace(/\W/g, "_");
  if (def.type === "bool" || def.type === "enum") {
    const checked = root.querySelector(`input[name="${id}"]:checked`);
    return checked ? JSON.parse(checked.value) : undefined;
  }
  const el = root.querySelector("#" + CSS.escape(id));
  const text = el ? el.value.trim() : "";
  if (text === "") return undefined;
  if (def.type === "int") return Number.isInteger(Number(text)) ? Number(text) : text;
  if (def.type === "set") return text.split(/\n|、|，|,/).map((t) => t.trim()).filter(Boolean);
  return text;
}

function listEditor(def, value) {
  const records = h("div", {});
  let count = 0;
  function add(record) {
    const n = count++;
    const box = h("fieldset", { class: "record", "data-record": n },
      h("legend", {}, `第 ${records.children.length + 1} 项`),
      def.fields.map((f) => h("div", {},
        h("label", { id: `r${n}_${f.name.replace(/\W/g, "_")}-label`, for: `r${n}_${f.name.replace(/\W/g, "_")}` },
          f.title + (f.optional ? "（可不填）" : "")),
        field(f, f.name, record ? record[f.name] : undefined, `r${n}_`))),
      h("button", { type: "button", class: "btn secondary", onclick: () => box.remove() }, "删除此项"));
    records.append(box);
  }
  for (const r of value || []) add(r);
  if (!value || value.length === 0) add(null);
  const editor = h("div", {}, records,
    h("button", { type: "button", class: "btn secondary wide", onclick: () => add(null) }, "添加一项"));
  editor.read = () => [...records.children].map((box) => {
    const n = box.getAttribute("data-record");
    const out = {};
    for (const f of def.fields) {
      const v = readField(f, f.name, box, `r${n}_`);
      if (v !== undefined) out[f.name] = v;
    }
    return out;
  });
  return editor;
}

async function ask(kind, id, editPath) {
  const s = loadState(kind, id);
  let reply;
  try {
    reply = await api(endpoint(kind, id), request(s));
  } catch (error) {
    return failure(error);
  }
  for (const q of reply.questions) s.defs[q.path] = q;
  saveState(kind, id, s);
  const base = kind === "screen" ? "#/screen" : "#/ask/" + id;
  const resultHref = kind === "screen" ? "#/screen/result" : "#/result/" + id;
  const def = editPath ? s.defs[editPath] : reply.questions[0];
  if (!def) {
    location.replace(resultHref);
    return;
  }
  const current = s.answers[def.path];
  const inputId = "q_";
  const control = def.type === "list" ? listEditor(def, current) : field(def, def.path, current, inputId);
  const error = h("p", { class: "error", role: "alert", id: "question-error" });
  const shared = def.supplied_by && def.supplied_by.kind === "shared" && def.supplied_by.dataset;
  const form = h("form", { novalidate: true, onsubmit: (ev) => { ev.preventDefault(); submit(false); } },
    h("fieldset", {},
      h("legend", { id: inputId + def.path.replace(/\W/g, "_") + "-label" }, def.title),
      def.optional || def.type === "list" ? null : null,
      shared ? h("p", { class: "hint" }, `办理时部门可通过「${def.supplied_by.dataset.name}」数据共享核验，无需提交证明。`) : null,
      def.type === "set" ? h("p", { class: "hint", id: inputId + def.path.replace(/\W/g, "_") + "-hint" }, "每行一项") : null,
      def.needed_by && def.needed_by.length > 1 ? h("p", { class: "hint" }, "用于判断：" + def.needed_by.join("、")) : null,
      control, error),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "btn", id: "next" }, "下一步"),
      h("button", { type: "button", class: "btn secondary", id: "unknown", onclick: () => submit(true) }, "不知道")));
  async function submit(dontKnow) {
    let value;
    if (!dontKnow) {
      value = def.type === "list" ? control.read() : readField(def, def.path, form, inputId);
      if (value === undefined) {
        error.textContent = "请回答，或选择「不知道」";
        return;
      }
    }
    const next = JSON.parse(JSON.stringify(s));
    delete next.answers[def.path];
    next.unknown = next.unknown.filter((p) => p !== def.path);
    next.order = next.order.filter((p) => p !== def.path);
    if (dontKnow) next.unknown.push(def.path); else next.answers[def.path] = value;
    next.order.push(def.path);
    try {
      await api(endpoint(kind, id), request(next));
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    saveState(kind, id, next);
    if (location.hash === base) route(); else location.hash = base;
  }
  const answered = s.order.filter((p) => p in s.answers || s.unknown.includes(p));
  const title = kind === "screen" ? "我能办什么" : (await services()).find((x) => x.id === id)?.title || id;
  show(def.title,
    h("p", { class: "progress" }, `${title} · 第 ${answered.length + (editPath ? 0 : 1)} 题${reply.questions.length > 1 ? `，还可能有 ${reply.questions.length - 1} 题` : ""}`),
    form,
    answered.length ? h("section", { class: "answers" }, h("h2", {}, "已回答（可修改）"),
      h("ul", { class: "plain" }, answered.map((p) => h("li", {},
        h("span", {}, (s.defs[p] ? s.defs[p].title : p) + "：", h("strong", {}, answerText(s.defs[p], s.answers[p]))),
        h("button", { type: "button", "aria-label": "修改：" + (s.defs[p] ? s.defs[p].title : p),
          onclick: () => { location.hash = base + "?edit=" + encodeURIComponent(p); } }, "修改"))))) : null,
    h("p", {}, h("a", { href: resultHref, id: "see-result" }, "查看目前的结果")));
}

// ---- the result -----------------------------------------------------------
function verdict(status, extra, awaits) {
  let [word, text] = STATUS[status] || STATUS.undetermined;
  if (status === "undetermined" && awaits && awaits.length) {
    word = "待部门核验";
    text = "您的回答都符合条件，还需部门核验：" + awaits.join("、") + "。";
  }
  return h("div", { class: "verdict " + (status === "partial" ? "eligible" : status), id: "verdict" },
    h("strong", {}, word), h("p", {}, text), extra);
}

function materialsSection(materials) {
  const bring = materials.filter((m) => m.provided_by === "applicant");
  const fetched = materials.filter((m) => m.provided_by === "shared");
  const promised = materials.filter((m) => m.provided_by === "commitment");
  const line = (m) => h("li", {}, h("strong", {}, m.name),
    `（${FORM[m.form] || m.form}${m.copies > 1 ? "，" + m.copies + "份" : ""}）`,
    m.status === "conditional" ? h("span", { class: "cite" }, "如" + (m.condition || "符合条件") + "时需要") : null,
    m.dataset && m.provided_by === "shared" ? h("span", { class: "cite" }, "由部门通过「" + m.dataset.name + "」获取") : null,
    m.produced_by ? h("span", { class: "cite" }, "由联办事项产生，无需提供") : null);
  return [
    h("h2", {}, "需要携带的材料"),
    bring.length ? h("ul", { class: "plain", id: "bring" }, bring.map(line)) : h("p", { id: "bring" }, "无需携带材料。"),
    fetched.length ? [h("h2", {}, "免提交（部门通过数据共享获取）"), h("ul", { class: "plain", id: "fetched" }, fetched.map(line))] : null,
    promised.length ? [h("h2", {}, "告知承诺（签署承诺书代替证明）"), h("ul", { class: "plain" }, promised.map(line))] : null,
  ];
}

function stepsSection(steps, schedule, visits) {
  return [
    h("h2", {}, "办理流程与时限"),
    h("ol", { class: "timeline", id: "timeline" }, steps.map((s) => h("li", {},
      h("strong", {}, s.title), h("br"),
      `${s.department.name} · ${s.days === 0 ? "当场办结" : s.days + (s.day_kind === "working" ? "个工作日" : "日（自然日）")}`,
      s.due_date ? h("span", { class: "cite" }, "预计 " + dateWords(s.due_date) + " 前完成") : null))),
    schedule && schedule.completion_date ? h("p", {}, "预计办结：", h("strong", {}, dateWords(schedule.completion_date))) : null,
    h("p", { id: "visits" }, "到现场次数：", h("strong", {}, visits === 0 ? "0次（全程网办）" : "最多跑一次")),
  ];
}

function assessmentDetails(r, titles) {
  const open = titles && r.status === "undetermined" ? r.open_questions.map((p) => titles[p] || p) : [];
  return [
    open.length ? h("p", { class: "cite" }, "还需回答：" + open.slice(0, 4).join("、") + (open.length > 4 ? ` 等 ${open.length} 个问题` : "")) : null,
    r.reasons.length && r.status !== "eligible" && !r.awaits_department ? [h("h3", {}, r.status === "ineligible" ? "原因" : "尚未确定的条件"), h("ul", { class: "plain" }, r.reasons.map((x) =>
      h("li", {}, x.title, x.cite ? h("span", { class: "cite" }, "依据：" + x.cite) : null)))] : null,
    r.earliest_text ? h("p", { class: "earliest" }, h("strong", {}, r.earliest_text)) : null,
    r.conditions.length ? h("ul", { class: "plain conditions" }, r.conditions.map((c) => h("li", {}, c))) : null,
    r.blocked_by.length ? h("p", {}, "需要知道：" + r.blocked_by.map((f) => f.title).join("、") + " 才能判断") : null,
  ];
}

function answersSection(s) {
  const answered = s.order.filter((p) => p in s.answers || s.unknown.includes(p));
  if (!answered.length) return null;
  return [h("h2", {}, "您的回答"), h("ul", { class: "plain" }, answered.map((p) =>
    h("li", {}, (s.defs[p] ? s.defs[p].title : p) + "：" + answerText(s.defs[p], s.answers[p]))))];
}

function visitsOf(materials) {
  return materials.some((m) => m.provided_by === "applicant" && m.status !== "conditional" && m.form !== "electronic") ? 1 : 0;
}

async function result(kind, id) {
  const s = loadState(kind, id);
  let reply;
  try {
    reply = await api(endpoint(kind, id), request(s));
  } catch (error) {
    return failure(error);
  }
  const title = (await services()).find((x) => x.id === id)?.title || id;
  const today = dateWords(applicationDate || new Date().toISOString().slice(0, 10));
  const head = h("div", { class: "notice-head" }, h("p", {}, "一次性告知单"));
  const more = reply.questions.length
    ? h("a", { class: "btn wide no-print", href: "#/ask/" + id, id: "continue" }, `继续回答（还有 ${reply.questions.length} 个问题可能影响结果）`) : null;
  const actions = h("div", { class: "actions" },
    h("button", { type: "button", class: "btn", id: "print", onclick: () => window.print() }, "打印一次性告知单"),
    h("a", { class: "btn secondary", href: "#/ask/" + id + "?edit=" + encodeURIComponent(s.order[s.order.length - 1] || "") }, "修改回答"));
  if (kind === "bundle") {
    const b = reply.bundle;
    const status = b ? b.eligibility : reply.status;
    show(title + " · 结果", head, h("h1", {}, title), h("p", { class: "muted" }, "申请日期：" + today),
      verdict(status, null, reply.results.every((r) => r.status === "eligible" || r.awaits_department)
        ? [...new Set(reply.results.filter((r) => r.awaits_department).flatMap((r) => r.verified_by_department.map((f) => f.title)))] : null), more,
      h("h2", {}, "各事项"),
      h("ul", { class: "plain", id: "members" }, reply.results.map((r) => h("li", {},
        h("strong", {}, r.policy.name), " — ", r.awaits_department ? "待部门核验" : (STATUS[r.status] || STATUS.undetermined)[0],
        h("span", { class: "cite" }, r.department.name), ...assessmentDetails(r)))),
      b ? materialsSection(b.materials) : null,
      b ? stepsSection(b.steps, b.schedule, b.visits) : null,
      answersSection(s), actions);
    return;
  }
  const r = reply.results[0];
  const d = r.decision;
  show(title + " · 结果", head, h("h1", {}, title), h("p", { class: "muted" }, "申请日期：" + today + " · " + r.department.name),
    verdict(r.status, assessmentDetails(r), r.awaits_department ? r.verified_by_department.map((f) => f.title) : null), more,
    r.verified_by_department.length ? h("p", { class: "hint" }, "以下信息由部门核验，无需您提供证明：" +
      r.verified_by_department.map((f) => f.title).join("、")) : null,
    d && r.status !== "ineligible" ? materialsSection(d.materials) : null,
    d && r.status !== "ineligible" ? stepsSection(d.steps, d.schedule, visitsOf(d.materials)) : null,
    answersSection(s), actions);
}

async function screenResult() {
  const s = loadState("screen", "all");
  let reply;
  try {
    reply = await api("screen", request(s));
  } catch (error) {
    return failure(error);
  }
  const titles = Object.fromEntries(reply.questions.map((q) => [q.path, q.title]));
  const group = (status, heading, id) => {
    const items = reply.results.filter((r) => r.status === status);
    return [h("h2", {}, `${heading}（${items.length}）`), h("ul", { class: "plain", id }, items.map((r) =>
      h("li", {}, h("a", { href: "#/service/" + r.policy.id }, r.policy.name),
        h("span", { class: "cite" }, r.department.name), ...assessmentDetails(r, titles))))];
  };
  show("我能办什么 · 结果", h("h1", {}, "我能办什么"),
    h("p", {}, `共 ${reply.results.length} 个事项：可以办理 ${reply.counts.eligible} 个，可能可以 ${reply.counts.undetermined} 个，暂不符合 ${reply.counts.ineligible} 个。`),
    reply.questions.length ? h("a", { class: "btn wide", href: "#/screen", id: "continue" }, `继续回答（还有 ${reply.questions.length} 个问题）`) : null,
    group("eligible", "可以办理", "eligible"),
    group("undetermined", "可能可以办理", "undetermined"),
    group("ineligible", "暂不符合", "ineligible"),
    answersSection(s));
}

// ---- routing --------------------------------------------------------------
async function route() {
  const hash = decodeURI(location.hash || "#/");
  const [path, query] = hash.slice(1).split("?");
  const edit = new URLSearchParams(query || "").get("edit");
  const parts = path.split("/").filter(Boolean);
  try {
    if (parts.length === 0) return await home();
    if (parts[0] === "service") return await servicePage(parts[1]);
    if (parts[0] === "ask") return await ask(await kindOf(parts[1]), parts[1], edit);
    if (parts[0] === "result") return await result(await kindOf(parts[1]), parts[1]);
    if (parts[0] === "screen" && parts[1] === "result") return await screenResult();
    if (parts[0] === "screen") return await ask("screen", "all", edit);
    return await home();
  } catch (error) {
    return failure(error);
  }
}
window.addEventListener("hashchange", route);
route();
