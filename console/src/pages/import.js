// CSV import (#/import): the file, the mode, dry run, all-or-nothing and (for those who manage
// groups) creating the groups the file names, then the per-row report.
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, can, loadGroups } from "../api.js";
import { plural } from "../format.js";
import { Checkbox, ErrorAlert, PageHeading, Select, useId } from "../ui.js";

const MODES = [["create", "Create new customers only"], ["upsert", "Create, and update existing customers (by email)"], ["skip", "Create, and skip existing customers"]];

export function ImportPage() {
  const fileId = useId("file");
  const [file, setFile] = useState(null);
  const [mode, setMode] = useState("create");
  const [dryRun, setDryRun] = useState(false);
  const [atomic, setAtomic] = useState(true);
  const [createGroups, setCreateGroups] = useState(false);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  const [fileError, setFileError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!file) { setFileError("Choose a CSV file."); return; }
    setFileError(null); setBusy(true); setError(null); setReport(null);
    try {
      const q = new URLSearchParams({ mode, dry_run: String(dryRun), atomic: String(atomic) });
      if (createGroups) q.set("create_groups", "true");
      const res = await api("POST", `/v1/customers/import?${q}`, { body: file, headers: { "content-type": "text/csv" } });
      setReport(res);
      if (res.new_groups?.length && !res.dry_run) loadGroups(true);
    } catch (err) {
      if (err.status === 422 && err.body?.rows) setReport(err.body);
      else setError(err);
    } finally { setBusy(false); }
  };
  const reportHeading = useRef();
  useEffect(() => { if (report) reportHeading.current?.focus(); }, [report]);
  const failedAtomic = report?.error && report.atomic;
  return html`<section class="page">
    <div class="page-head"><${PageHeading} focusKey="import">Import customers<//></div>
    <p class="muted">A CSV file with a header row: name, email, phone, company, notes, groups (group names separated by “;”); any other column becomes an attribute. Up to 10,000 rows.</p>
    <form onSubmit=${submit} novalidate class="import-form">
      <div class=${`field${fileError ? " has-error" : ""}`}>
        <label for=${fileId}>CSV file</label>
        <input id=${fileId} type="file" accept=".csv,text/csv" aria-invalid=${fileError ? "true" : undefined} aria-describedby=${fileError ? `${fileId}-err` : undefined}
          onChange=${(e) => { setFile(e.currentTarget.files[0] || null); setFileError(null); }} />
        ${fileError && html`<span class="field-error" id=${`${fileId}-err`}>${fileError}</span>`}
      </div>
      <${Select} label="Existing customers" value=${mode} onChange=${setMode} options=${MODES} />
      <${Checkbox} label="Dry run: check the file, write nothing" checked=${dryRun} onChange=${setDryRun} />
      <${Checkbox} label="All or nothing: write no row if any row fails" checked=${atomic} onChange=${setAtomic} />
      ${can("groups:manage") && html`<${Checkbox} label="Create missing groups" checked=${createGroups} onChange=${setCreateGroups}
        aria-describedby="create-groups-hint" />
        <p class="hint" id="create-groups-hint">A name in the groups column that no group has creates that group; otherwise the row fails.</p>`}
      <div class="row"><button type="submit" class="primary" disabled=${busy}>${busy ? "Importing…" : dryRun ? "Check file" : "Import"}</button></div>
    </form>
    <${ErrorAlert} error=${error} />
    ${report && html`<section aria-labelledby="report-h" class="report">
      <h2 id="report-h" tabindex="-1" ref=${reportHeading}>Import report</h2>
      <div class=${`alert ${report.failed ? (failedAtomic ? "error" : "warn") : "ok"}`} role=${report.failed ? "alert" : "status"}>
        <div>${failedAtomic ? `Nothing was written: ${plural(report.failed, "row")} failed, and the import is all or nothing. Fix the rows below and import again.`
          : report.dry_run ? `Dry run: nothing was written. ${plural(report.valid, "row")} would be written, ${plural(report.failed, "row")} would fail.`
          : `Created ${report.created}, updated ${report.updated}, skipped ${report.skipped}, failed ${report.failed}.`}</div>
      </div>
      ${report.new_groups?.length > 0 && html`<p>${report.dry_run || failedAtomic ? "Groups it would create" : "Groups created"}: ${report.new_groups.join(", ")}.</p>`}
      <dl class="summary"><div><dt>Created</dt><dd>${report.created}</dd></div><div><dt>Updated</dt><dd>${report.updated}</dd></div>
        <div><dt>Skipped</dt><dd>${report.skipped}</dd></div><div><dt>Failed</dt><dd>${report.failed}</dd></div><div><dt>Valid</dt><dd>${report.valid}</dd></div></dl>
      <div class="tablewrap" tabindex="0" role="region" aria-label="Rows of the import"><table>
        <caption class="sr-only">Result of each row</caption>
        <thead><tr><th scope="col">Line</th><th scope="col">Status</th><th scope="col">Customer</th><th scope="col">Problems</th></tr></thead>
        <tbody>${report.rows.map((r) => html`<tr class=${r.status === "failed" ? "failed" : ""}><td>${r.row}</td>
          <td><span class=${`badge st-${r.status}`}>${r.status}</span></td>
          <td>${r.id ? html`<a href=${`#/customers/${r.id}`} aria-label=${`Open the customer of line ${r.row}`}>Open</a>` : ""}</td>
          <td>${(r.errors || []).map((e) => html`<div><strong>${e.field}</strong>: ${e.message}</div>`)}</td></tr>`)}</tbody>
      </table></div>
    </section>`}
  </section>`;
}
