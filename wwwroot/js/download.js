// Downloads a streamed file while counting its lines into a progress element, then hands it to the browser as a
// download. The server streams; this only shows how far it has got.
export async function downloadWithProgress(url, progressElementId, totalRows) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
        throw new Error(`The export answered HTTP ${response.status}.`);
    }

    const progress = document.getElementById(progressElementId);
    const reader = response.body.getReader();
    const chunks = [];
    let lines = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) {
            break;
        }

        chunks.push(value);
        for (let i = 0; i < value.length; i++) {
            if (value[i] === 10) {
                lines++;
            }
        }

        if (progress) {
            progress.textContent = `${Math.max(lines - 1, 0).toLocaleString()} of ${totalRows} rows`;
        }
    }

    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob(chunks, { type: "text/csv" }));
    link.download = match ? match[1] : "export.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    return Math.max(lines - 1, 0);
}
