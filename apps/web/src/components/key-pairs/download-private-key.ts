/** Saves the private key as `<name>.pem` through a Blob: it never leaves the browser again. */
export function downloadPrivateKey(name: string, privateKey: string): void {
  const url = URL.createObjectURL(new Blob([privateKey], { type: "application/x-pem-file" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `${name}.pem`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoke after the click has been handled, so the download has its bytes.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
