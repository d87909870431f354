// The medical record editor beside the video (records/_editor.html): opens the consultation's record,
// autosaves the draft (each save names the revision it started from: another tab's save is refused, never
// overwritten), searches ICD-10 diagnoses, and signs with the doctor's PIN. No inline code (CSP).
const root = document.getElementById("record-editor");
const form = root.querySelector("[data-record-form]");
const label = (name) => root.dataset[`label${name[0].toUpperCase()}${name.slice(1)}`] || name;
const TEXT_FIELDS = [
  "chief_complaint", "present_illness", "past_history", "allergy_history",
  "examination_notes", "treatment_advice", "follow_up_advice",
];
const SAVE_DELAY_MS = 1200;

let state = null; // {record, number, status, revision, diagnoses, ...}
let diagnoses = []; // [{code, name}]
let timer = null;
let saving = null; // the save under way (a promise)
let dirty = false;

function csrfToken() {
  return document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] ?? "";
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body ?? {}),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({ code: "network", message: label("failed") }));
  if (!response.ok) throw data;
  return data;
}

const recordUrl = (action) => `/staff/records/${state.record}/${action}/`;

function showError(error) {
  const box = root.querySelector("[data-record-error]");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = error.message || label("failed");
  if (error.code === "record.stale") {
    const reload = document.createElement("button");
    reload.type = "button";
    reload.className = "btn btn-link btn-sm p-0 ms-2";
    reload.textContent = label("reload");
    reload.addEventListener("click", () => openRecord());
    box.append(reload);
  }
  box.dataset.code = error.code || "";
  box.hidden = false;
}

function setSaveState(text) {
  root.querySelector("[data-save-state]").textContent = text;
}

function renderDiagnoses() {
  const list = root.querySelector("[data-diagnoses]");
  list.replaceChildren();
  const editable = state?.status === "draft";
  for (const [index, d] of diagnoses.entries()) {
    const item = document.createElement("li");
    item.className = "d-flex justify-content-between align-items-center";
    item.dataset.code = d.code;
    item.textContent = `${index + 1}. ${d.name} (${d.code})`;
    if (editable) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-link btn-sm p-0";
      remove.textContent = label("remove");
      remove.addEventListener("click", () => {
        diagnoses = diagnoses.filter((x) => x.code !== d.code);
        renderDiagnoses();
        changed();
      });
      item.append(remove);
    }
    list.append(item);
  }
}

function render(data) {
  state = data.version;
  diagnoses = [...state.diagnoses];
  for (const name of TEXT_FIELDS) form.elements[name].value = state[name] ?? "";
  const editable = state.status === "draft";
  for (const el of form.elements) el.readOnly = !editable;
  root.querySelector("[data-icd-query]").hidden = !editable;
  root.querySelector("[data-sign-box]").hidden = !editable;
  root.querySelector("[data-amend]").hidden = state.status !== "signed";
  const status = root.querySelector("[data-record-status]");
  status.textContent = `${label(state.status)} · ${label("version")} ${state.number}`;
  status.dataset.status = state.status;
  renderDiagnoses();
  if (data.templates) renderTools(data.templates, data.phrases);
  for (const el of root.querySelectorAll("[data-tools], [data-phrases]")) el.hidden = !editable;
  dirty = false;
  root.dataset.saved = "true";
  root.dataset.revision = String(state.revision);
}

// --- templates and common phrases ------------------------------------------------------------------
let templates = [];
let lastField = null; // the text field a phrase goes into
form.addEventListener("focusin", (event) => {
  if (event.target.tagName === "TEXTAREA") lastField = event.target;
});

function phraseButton(text) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-outline-secondary btn-sm me-1 mb-1";
  button.textContent = text;
  button.addEventListener("click", () => {
    const field = lastField || form.elements.treatment_advice;
    if (field.readOnly) return;
    const at = field.selectionStart ?? field.value.length;
    field.value = field.value.slice(0, at) + text + field.value.slice(field.selectionEnd ?? at);
    field.focus();
    changed();
  });
  return button;
}

function renderTools(list, phrases) {
  templates = list;
  const select = root.querySelector("[data-template]");
  for (const option of [...select.options].slice(1)) option.remove();
  for (const t of templates) select.add(new Option(t.name, t.id));
  root.querySelector("[data-phrases]").replaceChildren(...phrases.map(phraseButton));
}

root.querySelector("[data-template]").addEventListener("change", (event) => {
  const template = templates.find((t) => t.id === event.target.value);
  event.target.value = "";
  if (!template || state?.status !== "draft") return;
  for (const name of TEXT_FIELDS) if (template.content[name]) form.elements[name].value = template.content[name];
  for (const d of template.content.diagnoses || []) {
    if (!diagnoses.some((x) => x.code === d.code)) diagnoses.push(d);
  }
  renderDiagnoses();
  changed();
});

root.querySelector("[data-template-save]").addEventListener("click", async () => {
  const name = root.querySelector("[data-template-name]");
  try {
    const body = { ...content(), name: name.value, shared: root.querySelector("[data-template-shared]").checked };
    const { template } = await post(recordUrl("templates"), body);
    templates.push(template);
    root.querySelector("[data-template]").add(new Option(template.name, template.id));
    name.value = "";
    showError(null);
  } catch (error) {
    showError(error);
  }
});

root.querySelector("[data-phrase-add]").addEventListener("click", async () => {
  const input = root.querySelector("[data-phrase-text]");
  try {
    const { text } = await post(root.dataset.phraseUrl, { text: input.value });
    root.querySelector("[data-phrases]").append(phraseButton(text));
    input.value = "";
    showError(null);
  } catch (error) {
    showError(error);
  }
});

async function openRecord() {
  try {
    render(await post(root.dataset.openUrl));
    showError(null);
    setSaveState("");
  } catch (error) {
    showError(error);
    // Called but not yet answered: the record opens once the patient has joined.
    if (error.code === "record.consultation_not_started") setTimeout(openRecord, 3000);
  }
}

function content() {
  const body = { revision: state.revision, diagnoses: diagnoses.map((d) => d.code) };
  for (const name of TEXT_FIELDS) body[name] = form.elements[name].value;
  return body;
}

async function save() {
  clearTimeout(timer);
  timer = null;
  if (saving) await saving;
  if (!dirty || state?.status !== "draft") return;
  dirty = false;
  setSaveState(label("saving"));
  saving = post(recordUrl("draft"), content())
    .then((data) => {
      state.revision = data.version.revision;
      setSaveState(`${label("saved")} ${new Date(data.version.saved_at).toLocaleTimeString()}`);
      root.dataset.revision = String(state.revision);
      if (!dirty) root.dataset.saved = "true";
      showError(null);
    })
    .catch((error) => {
      dirty = error.code !== "record.stale" && error.code !== "record.signed";
      setSaveState(label("unsaved"));
      showError(error);
    })
    .finally(() => {
      saving = null;
    });
  await saving;
}

function changed() {
  dirty = true;
  root.dataset.saved = "false";
  setSaveState(label("unsaved"));
  clearTimeout(timer);
  timer = setTimeout(save, SAVE_DELAY_MS);
}

form.addEventListener("input", (event) => {
  if (event.target.closest("[data-record-form] textarea")) changed();
});

// --- ICD-10 search -------------------------------------------------------------------------------
const query = root.querySelector("[data-icd-query]");
const results = root.querySelector("[data-icd-results]");
let searchTimer = null;
query.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = query.value.trim();
    results.replaceChildren();
    if (!q) return;
    const response = await fetch(`${root.dataset.icdUrl}?q=${encodeURIComponent(q)}`, { credentials: "same-origin" });
    if (!response.ok) return;
    for (const d of (await response.json()).results) {
      const option = document.createElement("button");
      option.type = "button";
      option.className = "list-group-item list-group-item-action py-1";
      option.dataset.code = d.code;
      option.textContent = `${d.code} ${d.name}`;
      option.addEventListener("click", () => {
        if (!diagnoses.some((x) => x.code === d.code)) diagnoses.push({ code: d.code, name: d.name });
        query.value = "";
        results.replaceChildren();
        renderDiagnoses();
        changed();
      });
      results.append(option);
    }
    results.dataset.query = q;
  }, 250);
});

// --- signing and amending ----------------------------------------------------------------------------
root.querySelector("[data-sign]").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  const pin = root.querySelector("[data-pin]");
  button.disabled = true;
  try {
    dirty = dirty || timer !== null;
    await save();
    if (root.querySelector("[data-record-error]").dataset.code === "record.stale") return;
    render(await post(recordUrl("sign"), { revision: state.revision, pin: pin.value }));
    pin.value = "";
    showError(null);
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
});

root.querySelector("[data-amend]").addEventListener("click", async () => {
  try {
    render(await post(recordUrl("amend")));
    showError(null);
  } catch (error) {
    showError(error);
  }
});

window.addEventListener("beforeunload", () => {
  if (dirty && state?.status === "draft") {
    const body = new Blob([JSON.stringify(content())], { type: "application/json" });
    // sendBeacon cannot set the CSRF header: a last save is tried with keepalive fetch instead.
    fetch(recordUrl("draft"), {
      method: "POST",
      keepalive: true,
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body,
    });
  }
});

openRecord();
