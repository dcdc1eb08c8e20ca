// 一次 · 政策办公台 (the officers' console). Plain modules, no framework:
// a hash router over the /v1 API. The department's token is kept in
// sessionStorage (never in an address). Diagnostics, hover and completion
// come from the service's checker (POST /v1/check); scenario runs from
// POST /v1/policies/{id}/draft; nothing here parses Yici.
const CM = await import(document.getElementById("codemirror").href);
const $ = (sel, root = document) => root.querySelector(sel);
const main = $("#main");
const TOKEN_KEY = "yici.console.token";
let me = null;

const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const today = () => new Date().toISOString().slice(0, 10);
const ELIG = { eligible: "符合条件", ineligible: "不符合条件", undetermined: "尚不能判定", partial: "部分符合" };
const STATUS = { pending: "待审核", approved: "已批准发布", rejected: "已退回" };
const ACTION = { seed: "初始导入", publish: "发布", withdraw: "撤回" };
const SOURCE = { applicant: "申请人提供", shared: "部门共享获取（无需提交）", commitment: "告知承诺" };

function toast(text) { const t = $("#toast"); t.textContent = text; clearTimeout(toast.timer); toast.timer = setTimeout(() => (t.textContent = ""), 5000); }

async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) { signOut("令牌无效或已失效，请重新登录"); throw new Error("unauthorized"); }
  if (!response.ok) { const e = new Error(data.message || `请求失败（${response.status}）`); e.status = response.status; e.data = data; throw e; }
  return data;
}

function signOut(message) { sessionStorage.removeItem(TOKEN_KEY); me = null; location.hash = "#/"; render(message); }

function signInPage(message) {
  $("#nav").hidden = true;
  main.innerHTML = `<h1>登录政策办公台</h1>
    <p>请输入本部门的令牌（由系统管理员发放）。令牌只保存在本标签页中，关闭后需重新登录。</p>
    ${message ? `<p class="error" role="alert">${esc(message)}</p>` : ""}
    <form id="signin" class="card">
      <label for="token">部门令牌</label>
      <input id="token" name="token" type="password" autocomplete="off" required>
      <p><button type="submit">登录</button></p>
    </form>`;
  $("#signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("#token").value.trim());
    try {
      const who = await api("GET", "/v1/me");
      if (!who.department) { sessionStorage.removeItem(TOKEN_KEY); signInPage("此令牌不属于任何部门（平台令牌只能调用判定），请使用部门令牌"); return; }
      me = who; render();
    } catch (e) { if (e.message !== "unauthorized") signInPage(e.message); }
  });
  $("#token").focus();
}

async function render(message) {
  if (!sessionStorage.getItem(TOKEN_KEY)) return signInPage(message);
  if (!me) { try { me = await api("GET", "/v1/me"); } catch { return; } }
  $("#nav").hidden = false;
  $("#who").textContent = `${me.name}（${me.department}${me.reviewer ? "，审核人" : ""}）`;
  const [route, arg] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  main.innerHTML = "<p>正在加载……</p>";
  try {
    if (route === "policy" && arg) await policyPage(arg);
    else if (route === "bundle" && arg) await bundlePage(arg);
    else if (route === "reviews") await reviewsPage();
    else if (route === "review" && arg) await reviewPage(arg);
    else if (route === "decisions") await decisionsPage(arg);
    else await homePage();
  } catch (e) { if (e.message !== "unauthorized") main.innerHTML = `<p class="error" role="alert">${esc(e.message)}</p>`; }
  main.focus({ preventScroll: true });
}

// `inForce`: for a bundle, the one version in force (its newest active one);
// its other active versions are superseded.
function versionState(v, inForce) {
  if (v.status === "withdrawn") return ["withdrawn", "已撤回"];
  if (inForce !== undefined) return v.version === inForce ? ["in-force", "有效"] : ["withdrawn", "已被取代"];
  if (v.effective_from > today()) return ["scheduled", "待生效"];
  return ["in-force", "有效"];
}

async function homePage() {
  document.title = "首页 · 政策办公台";
  const [policies, bundles, reviews] = await Promise.all([api("GET", "/v1/policies"), api("GET", "/v1/bundles"), api("GET", "/v1/reviews?status=pending")]);
  const own = policies.filter((p) => p.department === me.department);
  const led = (Array.isArray(bundles) ? bundles : bundles.bundles || []).filter((b) => b.department === me.department);
  const [details, bundleDetails] = await Promise.all([
    Promise.all(own.map((p) => api("GET", `/v1/policies/${encodeURIComponent(p.id)}`))),
    Promise.all(led.map((b) => api("GET", `/v1/bundles/${encodeURIComponent(b.id)}`))),
  ]);
  const versions = (d) => d.versions_list.map((v) => { const [cls, label] = versionState(v, d.members ? d.in_force : undefined); return `<span class="badge ${cls}">版本 ${v.version} ${label}${cls === "scheduled" ? `（${esc(v.effective_from)} 起）` : ""}</span>`; }).join(" ");
  const audit = [...details, ...bundleDetails].flatMap((d) => d.audit.map((a) => ({ ...a, title: d.title }))).sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 10);
  main.innerHTML = `<h1>本部门的事项</h1>
    ${reviews.reviews.length ? `<p class="card">有 <strong>${reviews.reviews.length}</strong> 个版本待审核。<a href="#/reviews">查看审核</a></p>` : ""}
    <h2>政策</h2>
    ${own.length ? `<table><thead><tr><th scope="col">事项</th><th scope="col">版本</th><th scope="col">所属一件事</th></tr></thead><tbody>
    ${own.map((p, i) => `<tr><td><a href="#/policy/${encodeURIComponent(p.id)}">${esc(p.title)}</a><br><span class="muted">${esc(p.id)}</span></td>
      <td>${versions(details[i])}</td><td>${esc((p.bundles || []).join("、")) || "—"}</td></tr>`).join("")}
    </tbody></table>` : "<p>本部门还没有政策。</p>"}
    <h2>牵头的一件事</h2>
    ${led.length ? `<table><thead><tr><th scope="col">一件事</th><th scope="col">版本</th><th scope="col">联办事项</th></tr></thead><tbody>
    ${led.map((b, i) => `<tr><td><a href="#/bundle/${encodeURIComponent(b.id)}">${esc(b.title)}</a><br><span class="muted">${esc(b.id)}</span></td>
      <td>${versions(bundleDetails[i])}</td><td>${b.members.length} 个</td></tr>`).join("")}
    </tbody></table>` : "<p>本部门不牵头任何一件事。</p>"}
    <h2>最近的审计记录</h2>
    ${audit.length ? `<table><thead><tr><th scope="col">时间</th><th scope="col">事项</th><th scope="col">操作</th><th scope="col">经办人</th><th scope="col">审核人</th></tr></thead><tbody>
    ${audit.map((a) => `<tr><td>${esc(a.at.slice(0, 19).replace("T", " "))}</td><td>${esc(a.title)} 版本 ${a.version}</td><td>${ACTION[a.action] || esc(a.action)}</td><td>${esc(a.actor)}</td><td>${esc(a.approver || "")}</td></tr>`).join("")}
    </tbody></table>` : "<p>没有记录。</p>"}`;
}

// ---------- the Yici mode (highlighting only; meaning comes from the checker)
const KEYWORDS = new Set(("policy bundle department basis version effective from facts let rule cite eligible when material source shared else applicant " +
  "form copies original copy electronic step by after within days day working natural produces param table use element if then and or not " +
  "true false in list of set enum member members link links unless except commitment hit unique first priority collect sum count any all min max " +
  "months years month year date int money bool text decimal percent always entry").split(" "));
const yiciMode = {
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match("#")) { stream.skipToEnd(); return "comment"; }
    if (stream.match(/^"([^"\\]|\\.)*"?/)) return "string";
    if (stream.match(/^\d{4}-\d{2}-\d{2}/) || stream.match(/^\d+(\.\d+)?%?/)) return "number";
    if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/)) return KEYWORDS.has(stream.current()) ? "keyword" : "variableName";
    stream.next(); return null;
  },
};
const highlight = CM.HighlightStyle.define([
  { tag: CM.tags.keyword, class: "cm-tok-keyword" }, { tag: CM.tags.string, class: "cm-tok-string" },
  { tag: CM.tags.number, class: "cm-tok-number" }, { tag: CM.tags.comment, class: "cm-tok-comment" },
  { tag: CM.tags.variableName, class: "cm-tok-name" },
]);

function offsetOf(doc, line, column) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  // `column` counts characters; CodeMirror counts UTF-16 units.
  const chars = Array.from(l.text).slice(0, Math.max(column - 1, 0)).join("");
  return Math.min(l.from + chars.length, l.to);
}

// ---------- the editor: diagnostics, hover and completion from the checker
// (POST /v1/check); `#format`, `#check-summary`, `#diags` and `#editor` are on the page.
function makeEditor(state, { draftKey, label, onClean }) {
  // Hover and completion from the checker's symbols and the catalogue.
  api("GET", "/v1/catalogue").then((c) => (state.catalogue = c)).catch(() => {});
  const hover = CM.hoverTooltip((view, pos) => {
    const line = view.state.doc.lineAt(pos);
    const text = line.text; let start = pos - line.from, end = start;
    while (start > 0 && /[\w.]/.test(text[start - 1])) start--;
    while (end < text.length && /[\w.]/.test(text[end])) end++;
    const word = text.slice(start, end);
    const symbol = state.symbols.find((s) => s.name === word) || state.symbols.find((s) => s.name.endsWith("." + word) || word.endsWith("." + s.name));
    if (!symbol) return null;
    return { pos: line.from + start, end: line.from + end, above: true, create() {
      const dom = document.createElement("div"); dom.className = "cm-hover";
      dom.innerHTML = `<strong>${esc(symbol.title || symbol.name)}</strong><br>${esc(symbol.kind)}${symbol.type ? `：${esc(symbol.type)}` : ""}${symbol.cite ? `<br>依据：${esc(symbol.cite)}` : ""}`;
      return { dom };
    } };
  });
  const complete = (context) => {
    const word = context.matchBefore(/[\w.]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const options = state.symbols.map((s) => ({ label: s.name, detail: s.title || "", type: s.kind === "fact" ? "variable" : s.kind === "rule" ? "function" : "constant" }));
    const c = state.catalogue || {};
    for (const [list, type] of [[c.materials, "材料"], [c.departments, "部门"], [c.datasets, "共享数据"]]) for (const item of list || []) options.push({ label: item.id, detail: `${type}：${item.name || ""}`, type: "keyword" });
    return { from: word.from, options };
  };
  const checkLinter = CM.linter(async (view) => {
    const source = view.state.doc.toString();
    let report;
    try { report = await api("POST", "/v1/check", { source }); } catch (e) { $("#check-summary").textContent = e.message; return []; }
    state.check = report; state.symbols = report.symbols || [];
    sessionStorage.setItem(draftKey, source);
    $("#check-summary").innerHTML = report.errors ? `<span class="fail">${report.errors} 个错误</span>，${report.warnings} 个警告` : `<span class="pass">没有错误</span>${report.warnings ? `，${report.warnings} 个警告` : ""}`;
    $("#diags").innerHTML = report.diagnostics.map((d) => `<li class="${d.severity}"><span class="code">${esc(d.code)}</span> 第 ${d.at ? d.at.line : "?"} 行：${esc(d.message)}${d.help ? `<br><span class="muted">提示：${esc(d.help)}</span>` : ""}</li>`).join("");
    if (!report.errors && onClean) onClean();
    const doc = view.state.doc;
    return report.diagnostics.filter((d) => d.at).map((d) => ({
      from: offsetOf(doc, d.at.line, d.at.column), to: Math.max(offsetOf(doc, d.at.end_line, d.at.end_column), offsetOf(doc, d.at.line, d.at.column) + 1),
      severity: d.severity === "error" ? "error" : "warning", message: `${d.code} ${d.message}${d.help ? `\n提示：${d.help}` : ""}`,
    }));
  }, { delay: 60 });
  const view = new CM.EditorView({
    parent: $("#editor"),
    state: CM.EditorState.create({ doc: state.source, extensions: [
      CM.lineNumbers(), CM.history(), CM.drawSelection(), CM.highlightActiveLine(), CM.bracketMatching(),
      CM.StreamLanguage.define(yiciMode), CM.syntaxHighlighting(highlight), checkLinter, CM.lintGutter(), hover,
      CM.autocompletion({ override: [complete] }),
      CM.keymap.of([...CM.defaultKeymap, ...CM.historyKeymap, ...CM.completionKeymap, ...CM.searchKeymap]),
      CM.EditorView.contentAttributes.of({ "aria-label": label, "aria-describedby": "check-summary" }),
    ] }),
  });
  // The scroller is reachable by keyboard too (arrow keys scroll a long source).
  view.scrollDOM.setAttribute("tabindex", "0");
  view.scrollDOM.setAttribute("aria-label", "源文件（可滚动）");
  window.yiciEditor = view; // the browser tests type through it
  const setSource = (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  $("#format").addEventListener("click", async () => {
    const r = await api("POST", "/v1/format", { source: view.state.doc.toString() });
    if (r.formatted === null) toast("源文件有语法错误，请先修正再格式化"); else if (r.changed) { setSource(r.formatted); toast("已格式化"); } else toast("格式已是标准格式");
  });
  return { view, setSource };
}

// ---------- the policy page: versions, editor, scenarios, builder, impact, submit
async function policyPage(id) {
  const [detail, stored, reviews] = await Promise.all([
    api("GET", `/v1/policies/${encodeURIComponent(id)}`),
    api("GET", `/v1/policies/${encodeURIComponent(id)}/scenarios`),
    api("GET", `/v1/reviews?policy=${encodeURIComponent(id)}`),
  ]);
  document.title = `${detail.title} · 政策办公台`;
  const newest = detail.versions_list[detail.versions_list.length - 1];
  const version = await api("GET", `/v1/policies/${encodeURIComponent(id)}/versions/${newest.version}`);
  const draftKey = `yici.console.draft.${id}`;
  const state = { source: sessionStorage.getItem(draftKey) || version.source, added: [], check: null, symbols: [], catalogue: null };
  main.innerHTML = `<h1>${esc(detail.title)} <span class="muted">${esc(id)}</span></h1>
    <div class="grid">
      <section aria-labelledby="edit-h">
        <h2 id="edit-h">编辑草稿（基于版本 ${newest.version}）</h2>
        <div class="toolbar">
          <button type="button" id="format" class="secondary">格式化</button>
          <button type="button" id="reset" class="secondary">恢复为版本 ${newest.version}</button>
          <span id="check-summary" role="status" aria-live="polite"></span>
        </div>
        <div id="editor" class="editor" aria-label="政策源文件编辑器"></div>
        <h3>检查结果</h3>
        <ul id="diags" class="diags" aria-live="polite"></ul>
      </section>
      <section aria-labelledby="scen-h">
        <h2 id="scen-h">场景测试</h2>
        <p id="scen-summary" role="status" aria-live="polite" class="muted">修改后自动运行。</p>
        <div id="scenarios"></div>
        <h2>场景构建</h2>
        <details id="builder-box"><summary>按表单填写一位申请人，查看判定并保存为场景</summary><div id="builder"></div></details>
        <h2>影响预览与提交审核</h2>
        <div class="card">
          <button type="button" id="preview">预览影响</button>
          <div id="impact" aria-live="polite"></div>
          <form id="submit-form">
            <label for="note">给审核人的说明</label>
            <textarea id="note" name="note" placeholder="例如：2027 年起居住登记最短月数改为 12 个月"></textarea>
            <p><button type="submit" id="submit">提交审核</button></p>
          </form>
          <p id="submit-result" role="status" aria-live="polite"></p>
        </div>
      </section>
    </div>
    ${historyHtml(detail, reviews)}`;

  let scenarioTimer = null;
  const { view, setSource } = makeEditor(state, { draftKey, label: "政策源文件", onClean: () => { clearTimeout(scenarioTimer); scenarioTimer = setTimeout(runScenarios, 50); } });
  $("#reset").addEventListener("click", () => { sessionStorage.removeItem(draftKey); setSource(version.source); });

  const allScenarios = () => [...stored, ...state.added];
  async function runScenarios(evaluate) {
    try {
      const r = await api("POST", `/v1/policies/${encodeURIComponent(id)}/draft`, { source: view.state.doc.toString(), scenarios: allScenarios(), ...(evaluate ? { evaluate } : {}) });
      $("#scen-summary").innerHTML = `<span class="pass">${r.passed} 个通过</span>，<span class="${r.failed ? "fail" : ""}">${r.failed} 个失败</span>`;
      const failed = r.scenarios.filter((s) => !s.passed), passed = r.scenarios.filter((s) => s.passed);
      $("#scenarios").innerHTML = `<ul class="diags">${failed.map((s) =>
        `<li><details open><summary><span class="fail">✘ 未通过</span> ${esc(s.name)}</summary><p>差异：</p><ul>${s.problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>
        ${s.rules.length ? `<table><thead><tr><th scope="col">规则</th><th scope="col">结果</th></tr></thead><tbody>${s.rules.map((rule) => `<tr><td>${esc(rule.title)}<br><span class="muted">${esc(rule.cite || "")}</span></td><td>${rule.result === true ? "成立" : rule.result === false ? "不成立" : "未知"}</td></tr>`).join("")}</tbody></table>` : ""}</details></li>`).join("")}</ul>
        ${passed.length ? `<details><summary>${passed.length} 个通过的场景</summary><ul>${passed.map((s) => `<li><span class="pass">✔</span> ${esc(s.name)}</li>`).join("")}</ul></details>` : ""}`;
      return r;
    } catch (e) { $("#scen-summary").textContent = `无法运行场景：${e.message}`; return null; }
  }

  // The scenario builder, generated from the policy's facts.
  const form = await api("GET", `/v1/policies/${encodeURIComponent(id)}/form`).catch(() => null);
  if (form) buildForm(form, runScenarios, state);

  $("#preview").addEventListener("click", async () => {
    $("#impact").innerHTML = "<p>正在计算……</p>";
    try {
      const r = await api("POST", `/v1/policies/${encodeURIComponent(id)}/preview`, { source: view.state.doc.toString(), decisions: 1000 });
      $("#impact").innerHTML = impactHtml(r);
    } catch (e) { $("#impact").innerHTML = `<p class="error">${esc(e.message)}</p>`; }
  });
  $("#submit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const r = await api("POST", `/v1/policies/${encodeURIComponent(id)}/reviews`, { source: view.state.doc.toString(), note: $("#note").value, ...(state.added.length ? { scenarios: allScenarios() } : {}) });
      $("#submit-result").innerHTML = `<span class="pass">已提交审核（第 ${r.review_id} 号），等待本部门审核人批准后发布。</span>`;
      sessionStorage.removeItem(draftKey);
    } catch (e) { $("#submit-result").innerHTML = `<span class="error">${esc(e.message)}</span>`; }
  });
  wireWithdraw("policies", id, detail);
}

// ---------- versions and the audit trail (with submissions and reviewers' decisions)
function historyHtml(detail, reviews) {
  return `<h2>版本</h2>
    <table><thead><tr><th scope="col">版本</th><th scope="col">生效日期</th><th scope="col">状态</th><th scope="col">发布人</th><th scope="col">操作</th></tr></thead><tbody>
    ${detail.versions_list.map((v) => { const [cls, label] = versionState(v, detail.members ? detail.in_force : undefined); return `<tr><td>${v.version}</td><td>${esc(v.effective_from)}</td>
      <td><span class="badge ${cls}">${label}</span></td><td>${esc(v.publisher)}</td>
      <td>${v.status === "active" ? `<button type="button" class="danger withdraw" data-version="${v.version}">撤回版本 ${v.version}</button>` : ""}</td></tr>`; }).join("")}
    </tbody></table>
    <h2>审计记录</h2>
    <table><thead><tr><th scope="col">时间</th><th scope="col">操作</th><th scope="col">版本</th><th scope="col">经办人</th><th scope="col">审核人</th></tr></thead><tbody>
    ${[...detail.audit.map((a) => ({ at: a.at, what: ACTION[a.action] || a.action, version: a.version, actor: a.actor, approver: a.approver || "" })),
      ...reviews.reviews.flatMap((r) => [{ at: r.submitted_at, what: "提交审核", version: r.version, actor: r.submitted_by, approver: "" },
        ...(r.reviewed_at ? [{ at: r.reviewed_at, what: r.status === "approved" ? "审核通过" : `审核退回：${r.comment || ""}`, version: r.version, actor: r.reviewed_by, approver: r.reviewed_by }] : [])])]
      .sort((a, b) => (a.at < b.at ? 1 : -1))
      .map((a) => `<tr><td>${esc(a.at.replace("T", " ").slice(0, 19))}</td><td>${esc(a.what)}</td><td>${a.version}</td><td>${esc(a.actor)}</td><td>${esc(a.approver)}</td></tr>`).join("")}
    </tbody></table>
    <dialog id="confirm" aria-labelledby="confirm-h"><h2 id="confirm-h">确认撤回</h2><p id="confirm-text"></p>
      <form method="dialog" class="toolbar"><button value="cancel" class="secondary">取消</button><button value="ok" class="danger" id="confirm-ok">确认撤回</button></form></dialog>`;
}

// Withdrawing asks for confirmation first.
function wireWithdraw(kindPath, id, detail) {
  for (const button of main.querySelectorAll(".withdraw")) button.addEventListener("click", () => {
    const v = button.dataset.version; const dialog = $("#confirm");
    $("#confirm-text").textContent = `撤回 ${detail.title} 的版本 ${v}？撤回后新的申请将按其他有效版本判定。`;
    dialog.returnValue = ""; dialog.showModal();
    dialog.addEventListener("close", async () => {
      if (dialog.returnValue !== "ok") return;
      try { await api("POST", `/v1/${kindPath}/${encodeURIComponent(id)}/versions/${v}/withdraw`); toast(`已撤回版本 ${v}`); render(); } catch (e) { toast(e.message); }
    }, { once: true });
  });
}

// ---------- a bundle (一件事) its department leads: versions, editor, submit
async function bundlePage(id) {
  const [detail, reviews, policies] = await Promise.all([
    api("GET", `/v1/bundles/${encodeURIComponent(id)}`),
    api("GET", `/v1/reviews?policy=${encodeURIComponent(id)}`),
    api("GET", "/v1/policies"),
  ]);
  // Members are other departments' services: named here, edited by their departments.
  const member = (m) => { const p = policies.find((q) => q.id === m); return p ? `${esc(p.title)}（${esc(p.department)}）` : esc(m); };
  document.title = `${detail.title} · 政策办公台`;
  const newest = detail.versions_list[detail.versions_list.length - 1];
  const version = await api("GET", `/v1/bundles/${encodeURIComponent(id)}/versions/${newest.version}`);
  const draftKey = `yici.console.draft.bundle.${id}`;
  const state = { source: sessionStorage.getItem(draftKey) || version.source, check: null, symbols: [], catalogue: null };
  main.innerHTML = `<h1>${esc(detail.title)} <span class="muted">${esc(id)}</span></h1>
    <p>一件事联办 ${detail.members.length} 个事项：${detail.members.map(member).join("、")}。
      场景 ${detail.scenarios.length} 个，批准时按各事项现行版本运行。</p>
    <section aria-labelledby="edit-h">
      <h2 id="edit-h">编辑草稿（基于版本 ${newest.version}）</h2>
      <div class="toolbar">
        <button type="button" id="format" class="secondary">格式化</button>
        <button type="button" id="reset" class="secondary">恢复为版本 ${newest.version}</button>
        <span id="check-summary" role="status" aria-live="polite"></span>
      </div>
      <div id="editor" class="editor" aria-label="一件事源文件编辑器"></div>
      <h3>检查结果</h3>
      <ul id="diags" class="diags" aria-live="polite"></ul>
      <form id="submit-form" class="card">
        <label for="note">给审核人的说明</label>
        <textarea id="note" name="note" placeholder="例如：增加社会保障卡申领环节"></textarea>
        <p><button type="submit" id="submit">提交审核（第 ${newest.version + 1} 版）</button></p>
      </form>
      <p id="submit-result" role="status" aria-live="polite"></p>
    </section>
    ${historyHtml(detail, reviews)}`;
  const { view, setSource } = makeEditor(state, { draftKey, label: "一件事源文件" });
  $("#reset").addEventListener("click", () => { sessionStorage.removeItem(draftKey); setSource(version.source); });
  $("#submit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const r = await api("POST", `/v1/bundles/${encodeURIComponent(id)}/reviews`, { source: view.state.doc.toString(), base_version: newest.version, note: $("#note").value });
      $("#submit-result").innerHTML = `<span class="pass">已提交审核（第 ${r.review_id} 号），等待本部门审核人批准后发布。</span>`;
      sessionStorage.removeItem(draftKey);
    } catch (e) { $("#submit-result").innerHTML = `<span class="error">${esc(e.message)}</span>`; }
  });
  wireWithdraw("bundles", id, detail);
}

// A pending bundle version's scenarios, run on the members in force.
function bundleScenariosHtml(b) {
  return `<div class="card"><h2>一件事场景</h2><p>这是一件事（联办）的新版本：按各成员事项的现行版本运行其 ${b.run} 个场景，
    ${b.failures.length ? `<span class="fail">${b.failures.length} 个未通过</span>；批准时将不予发布。` : `<span class="pass">全部通过</span>；批准时再运行一次。`}</p>
    ${b.failures.length ? `<ul>${b.failures.map((f) => `<li>${esc(f.name)}（${esc(f.scenario)}）<ul>${f.problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul></li>`).join("")}</ul>` : ""}</div>`;
}

function impactHtml(r) {
  const s = r.summary;
  return `<h3>影响（版本 ${r.proposed_version}）</h3>
    <p>场景 ${s.scenarios} 个，其中 ${s.scenarios_changed} 个结果改变；近期判定 ${s.decisions} 份，其中 ${s.decisions_changed} 份结果改变。</p>
    ${r.groups.length ? `<ul>${r.groups.map((g) => `<li><strong>${esc(g.text)}</strong>${g.examples.length ? `<br><span class="muted">例如：${esc(g.examples.join("；"))}</span>` : ""}</li>`).join("")}</ul>` : "<p>没有任何判定改变。</p>"}`;
}

// One input for a fact (data-path) or a list record's field (data-field).
function valueInput(item, idAttr, attr) {
  const label = `<label for="${idAttr}">${esc(item.title)}${item.optional ? "（可不填）" : ""}</label>`;
  const data = `${attr}="${esc(item.path ?? item.name)}" data-type="${esc(item.type)}" id="${idAttr}"`;
  if (item.type === "bool") return `${label}<select ${data}><option value="">不知道</option><option value="true">是</option><option value="false">否</option></select>`;
  if (item.type === "enum") return `${label}<select ${data}><option value="">不知道</option>${item.values.map((v) => `<option value="${esc(v.value)}">${esc(v.title)}</option>`).join("")}</select>`;
  if (item.type === "date") return `${label}<input type="date" ${data}>`;
  if (item.type === "int" || item.type === "money" || item.type === "decimal") return `${label}<input inputmode="decimal" ${data}>`;
  if (item.type === "set") return `${label}<input ${data} aria-describedby="${idAttr}-hint"><span class="muted" id="${idAttr}-hint">多项用顿号或逗号分隔</span>`;
  return `${label}<input ${data}>`;
}

const fieldId = (text) => text.replace(/[^\w-]/g, "_");

function factInput(fact) {
  if (fact.type !== "list") return valueInput(fact, fieldId(`f-${fact.path}`), "data-path");
  // A list of records (a household's members): one group of fields per record.
  return `<fieldset class="list" data-list="${esc(fact.path)}"><legend>${esc(fact.title)}${fact.optional ? "（可不填）" : ""}${fact.max_items ? `（最多 ${fact.max_items} 项）` : ""}</legend>
    <div class="records"></div>
    <button type="button" class="secondary add-record">添加一项：${esc(fact.title)}</button></fieldset>`;
}

function addRecord(fieldset, fact) {
  const records = $(".records", fieldset);
  if (fact.max_items && records.children.length >= fact.max_items) { toast(`${fact.title}最多 ${fact.max_items} 项`); return; }
  const n = (Number(fieldset.dataset.next) || 0) + 1; fieldset.dataset.next = String(n);
  const record = document.createElement("fieldset");
  record.className = "record";
  const position = records.children.length + 1;
  record.innerHTML = `<legend>第 ${position} 项</legend>${fact.fields.map((f) => valueInput(f, fieldId(`f-${fact.path}-${n}-${f.name}`), "data-field")).join("")}
    <p><button type="button" class="secondary remove-record">删除第 ${position} 项</button></p>`;
  records.append(record);
  $(".remove-record", record).addEventListener("click", () => {
    record.remove();
    [...records.children].forEach((r, i) => { $("legend", r).textContent = `第 ${i + 1} 项`; $(".remove-record", r).textContent = `删除第 ${i + 1} 项`; });
    $(".add-record", fieldset).focus();
  });
  $("input, select", record)?.focus();
}

// An input's value as the request takes it ("" is unknown: left out).
function inputValue(el) {
  const type = el.dataset.type;
  if (type === "bool") return el.value === "true";
  if (type === "int") return Number(el.value);
  if (type === "set") return el.value.split(/[、,，]/).map((v) => v.trim()).filter(Boolean);
  return el.value;
}

// `facts` as TOML tables: a table's own values first, then its subtables
// and its lists of records (`[[facts.household.members]]`).
function tomlTables(table, name, lines) {
  const entries = Object.entries(table);
  const isRecords = (v) => Array.isArray(v) && v.length && typeof v[0] === "object";
  const own = entries.filter(([, v]) => !isRecords(v) && !(v && typeof v === "object" && !Array.isArray(v)));
  if (own.length) lines.push("", `[${name}]`, ...own.map(([k, v]) => `${k} = ${tomlValue(v)}`));
  for (const [k, v] of entries) {
    if (isRecords(v)) for (const record of v) lines.push("", `[[${name}.${k}]]`, ...Object.entries(record).map(([rk, rv]) => `${rk} = ${tomlValue(rv)}`));
    else if (v && typeof v === "object" && !Array.isArray(v)) tomlTables(v, `${name}.${k}`, lines);
  }
}

function setPath(target, path, value) {
  const parts = path.split("."); let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] ??= {};
  node[parts[parts.length - 1]] = value;
}

function tomlValue(value) {
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return JSON.stringify(value);
}

function buildForm(form, runScenarios, state) {
  const box = $("#builder");
  box.innerHTML = `<form id="builder-form"><label for="b-date">申请日期</label><input type="date" id="b-date" value="${today()}">
    ${form.facts.map(factInput).join("")}
    <p class="toolbar"><button type="submit">试算</button></p></form><div id="citizen" aria-live="polite"></div>`;
  for (const fieldset of box.querySelectorAll("[data-list]")) {
    const fact = form.facts.find((f) => f.path === fieldset.dataset.list);
    $(".add-record", fieldset).addEventListener("click", () => addRecord(fieldset, fact));
  }
  let last = null;
  $("#builder-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const facts = {};
    for (const el of box.querySelectorAll("[data-path]")) if (el.value !== "") setPath(facts, el.dataset.path, inputValue(el));
    for (const fieldset of box.querySelectorAll("[data-list]")) {
      const records = [...fieldset.querySelectorAll(".record")].map((record) => {
        const entry = {};
        for (const el of record.querySelectorAll("[data-field]")) if (el.value !== "") entry[el.dataset.field] = inputValue(el);
        return entry;
      });
      if (records.length) setPath(facts, fieldset.dataset.list, records);
    }
    const request = { application_date: $("#b-date").value || today(), facts, shared_available: [] };
    const r = await runScenarios(request);
    if (!r) return;
    if (!r.decision) { $("#citizen").innerHTML = `<p class="error">${esc(r.evaluation_error)}</p>`; return; }
    last = { request, decision: r.decision };
    $("#citizen").innerHTML = citizenView(r.decision) + `<label for="scenario-name">场景名称</label><input id="scenario-name" value="">
      <p><button type="button" id="save-scenario" class="secondary">保存为场景</button></p>`;
    $("#save-scenario").addEventListener("click", () => {
      const title = $("#scenario-name").value.trim() || `控制台场景 ${state.added.length + 1}`;
      const d = last.decision; const lines = [`name = ${JSON.stringify(title)}`, `application_date = ${last.request.application_date}`, "", "[expect]", `eligibility = "${d.eligibility}"`];
      tomlTables(last.request.facts, "facts", lines);
      const name = `console-${Date.now()}.toml`;
      state.added.push({ name, toml: lines.join("\n") + "\n" });
      toast(`已保存场景「${title}」，将随草稿一并提交`);
      runScenarios();
    });
  });
}

function citizenView(d) {
  const materials = d.materials || [];
  return `<div class="card"><h3>判定结果：<span class="${d.eligibility}">${ELIG[d.eligibility] || d.eligibility}</span></h3>
    ${(d.reasons || []).length ? `<p>原因：</p><ul>${d.reasons.map((r) => `<li>${esc(r.title)}<br><span class="muted">依据：${esc(r.cite || "")}</span></li>`).join("")}</ul>` : ""}
    ${d.schedule?.completion_date ? `<p>预计办结：${esc(d.schedule.completion_date)}</p>` : ""}
    ${(d.missing_facts || []).length ? `<p>还需要：${d.missing_facts.map((m) => esc(m.title)).join("、")}</p>` : ""}
    ${materials.length ? `<h3>材料</h3>${[
      ["需要您提交", (m) => m.provided_by !== "shared" && m.status === "required"],
      ["视情况提交", (m) => m.provided_by !== "shared" && m.status !== "required"],
      ["无需提交：部门通过数据共享获取", (m) => m.provided_by === "shared"],
    ].map(([heading, keep]) => { const list = materials.filter(keep); return list.length ? `<p><strong>${heading}</strong></p><ul>${list.map((m) =>
      `<li>${esc(m.name)}${m.provided_by === "commitment" ? "（可告知承诺）" : ""}${m.condition ? `<br><span class="muted">条件：${esc(m.condition)}</span>` : ""}</li>`).join("")}</ul>` : ""; }).join("")}` : ""}
    ${(d.steps || []).length ? `<h3>办理环节</h3><ol class="timeline">${d.steps.map((s) => `<li><strong>${esc(s.title)}</strong><br>${esc(s.department?.name || s.department)}，${s.days} ${s.day_kind === "working" ? "个工作日" : "日"}${s.due_date ? `，${esc(s.due_date)} 前办结` : ""}</li>`).join("")}</ol>` : ""}</div>`;
}

// ---------- reviews
async function reviewsPage() {
  document.title = "审核 · 政策办公台";
  const r = await api("GET", "/v1/reviews");
  main.innerHTML = `<h1>审核</h1>${me.reviewer ? "<p>您是本部门的审核人：打开待审核的版本，查看改动和影响后批准或退回。</p>" : "<p>本部门提交的版本。审核需由本部门审核人完成。</p>"}
    ${r.reviews.length ? `<ul class="diags">${r.reviews.map((v) => `<li class="warning"><a href="#/review/${v.review_id}">第 ${v.review_id} 号：${esc(v.title)} 版本 ${v.version}</a>
      <br><span class="badge ${v.status}">${STATUS[v.status]}</span> <span class="muted">${esc(v.submitted_by)} 提交于 ${esc(v.submitted_at.slice(0, 16).replace("T", " "))}</span></li>`).join("")}</ul>` : "<p>没有审核记录。</p>"}`;
}

function diffHtml(diff) {
  return diff.split("\n").map((line) => {
    const cls = line.startsWith("@@") ? "hunk" : line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : "";
    const label = cls === "add" ? "新增：" : cls === "del" ? "删除：" : "";
    return cls ? `<span class="${cls}"><span class="skip">${label}</span>${esc(line)}</span>` : esc(line) + "\n";
  }).join("");
}

async function reviewPage(reviewId) {
  const r = await api("GET", `/v1/reviews/${encodeURIComponent(reviewId)}`);
  document.title = `审核第 ${r.review_id} 号 · 政策办公台`;
  const canDecide = me.reviewer && r.status === "pending" && r.submitted_by !== me.name;
  main.innerHTML = `<h1>审核第 ${r.review_id} 号</h1>
    <p><strong>${esc(r.title)}</strong> 版本 ${r.version}（现行版本 ${r.base_version ?? "无"}）<br>
    <span class="badge ${r.status}">${STATUS[r.status]}</span> ${esc(r.submitted_by)} 提交于 ${esc(r.submitted_at.slice(0, 16).replace("T", " "))}</p>
    ${r.note ? `<p class="card">提交说明：${esc(r.note)}</p>` : ""}
    ${r.comment ? `<p class="card">审核意见（${esc(r.reviewed_by)}）：${esc(r.comment)}</p>` : ""}
    ${r.impact ? impactHtml(r.impact) : ""}
    ${r.bundle_scenarios ? bundleScenariosHtml(r.bundle_scenarios) : ""}
    <h2>源文件改动</h2><pre class="diff" tabindex="0" aria-label="源文件改动">${diffHtml(r.diff)}</pre>
    ${canDecide ? `<form id="verdict" class="card"><label for="comment">审核意见</label><textarea id="comment"></textarea>
      <p class="toolbar"><button type="submit" id="approve" name="verdict" value="approve">批准并发布</button><button type="submit" id="reject" name="verdict" value="reject" class="danger">退回</button></p></form>
      <p id="verdict-result" role="status" aria-live="polite"></p>` :
      r.status === "pending" ? `<p class="muted">${me.reviewer ? "这是您本人提交的版本，需由本部门其他审核人审核。" : "需由本部门审核人审核。"}</p>` : ""}`;
  const form = $("#verdict");
  if (form) form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const verdict = event.submitter?.value || "approve";
    try {
      if (verdict === "approve") {
        const done = await api("POST", `/v1/reviews/${r.review_id}/approve`, { comment: $("#comment").value });
        $("#verdict-result").innerHTML = `<span class="pass">已批准，版本 ${done.published.version} 已发布，自 ${esc(done.published.effective_from)} 起生效。</span>`;
      } else {
        await api("POST", `/v1/reviews/${r.review_id}/reject`, { comment: $("#comment").value });
        $("#verdict-result").innerHTML = `<span class="pass">已退回。</span>`;
      }
      form.remove();
    } catch (e) { $("#verdict-result").innerHTML = `<span class="error">${esc(e.message)}</span>`; }
  });
}

// ---------- the decision log
async function decisionsPage() {
  document.title = "判定记录 · 政策办公台";
  const policies = (await api("GET", "/v1/policies")).filter((p) => p.department === me.department);
  main.innerHTML = `<h1>判定记录</h1>
    <form id="filter" class="card"><label for="d-policy">事项</label><select id="d-policy"><option value="">全部</option>${policies.map((p) => `<option value="${esc(p.id)}">${esc(p.title)}</option>`).join("")}</select>
      <label for="d-since">起始日期</label><input type="date" id="d-since">
      <label for="d-outcome">结果</label><select id="d-outcome"><option value="">全部</option>${Object.entries(ELIG).map(([k, v]) => `<option value="${k}">${v}</option>`).join("")}</select>
      <p><button type="submit">查询</button></p></form><div id="log"></div><div id="log-detail" aria-live="polite"></div>`;
  const run = async () => {
    const q = new URLSearchParams({ limit: "200" });
    if ($("#d-policy").value) q.set("policy", $("#d-policy").value);
    if ($("#d-since").value) q.set("since", $("#d-since").value);
    const outcome = $("#d-outcome").value;
    const rows = (await api("GET", `/v1/decisions?${q}`)).filter((d) => !outcome || d.eligibility === outcome);
    $("#log").innerHTML = rows.length ? `<table><thead><tr><th scope="col">时间</th><th scope="col">事项</th><th scope="col">版本</th><th scope="col">申请日期</th><th scope="col">结果</th><th scope="col"></th></tr></thead><tbody>
      ${rows.map((d, i) => `<tr><td>${esc(d.at.slice(0, 19).replace("T", " "))}</td><td>${esc(d.policy)}</td><td>${d.version}</td><td>${esc(d.application_date)}</td><td class="${d.eligibility}">${ELIG[d.eligibility] || esc(d.eligibility)}</td>
      <td><button type="button" class="secondary open" data-i="${i}">查看</button></td></tr>`).join("")}</tbody></table>` : "<p>没有符合条件的判定记录。</p>";
    for (const b of $("#log").querySelectorAll(".open")) b.addEventListener("click", () => openDecision(rows[Number(b.dataset.i)]));
  };
  $("#filter").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  await run();
}

async function openDecision(d) {
  const box = $("#log-detail");
  const draft = sessionStorage.getItem(`yici.console.draft.${d.policy}`);
  box.innerHTML = `<div class="card"><h2>判定 ${esc(d.at)}</h2><p>${esc(d.policy)} 版本 ${d.version}：<span class="${d.eligibility}">${ELIG[d.eligibility] || esc(d.eligibility)}</span>；请求编号 ${esc(d.request_id || "—")}</p>
    ${d.request ? `<details><summary>申请事实</summary><pre class="diff">${esc(JSON.stringify(d.request, null, 2))}</pre></details>
      ${draft ? `<p><button type="button" id="replay">用草稿重放</button></p><div id="replayed"></div>` : `<p class="muted">在此事项的编辑页修改草稿后，可用草稿重放这份判定。</p>`}` : `<p class="muted">未保存申请事实（配置 keep_facts），不能重放。</p>`}</div>`;
  const replay = $("#replay");
  if (replay) replay.addEventListener("click", async () => {
    try {
      const r = await api("POST", `/v1/policies/${encodeURIComponent(d.policy)}/draft`, { source: draft, scenarios: [], evaluate: d.request });
      $("#replayed").innerHTML = r.decision ? `<p>原结果：${ELIG[d.eligibility]}；草稿结果：<strong class="${r.decision.eligibility}">${ELIG[r.decision.eligibility]}</strong></p>${citizenView(r.decision)}` : `<p class="error">${esc(r.evaluation_error)}</p>`;
    } catch (e) { $("#replayed").innerHTML = `<p class="error">${esc(e.message)}</p>`; }
  });
  box.scrollIntoView();
}

$("#signout").addEventListener("click", () => signOut());
window.addEventListener("hashchange", () => render());
render();
