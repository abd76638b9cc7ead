import { describe, expect, it } from "vitest";
import { inboundLibvirtUri, jobPercent, rebasePaths } from "./libvirt";

describe("live migration helpers", () => {
  it("moves the guest's file paths from this host's state directory to the destination's, and nothing else", () => {
    const xml = [
      "<disk type='file' device='disk'><source file='/tmp/a/state/instances/1/disk'/></disk>",
      "<kernel>/tmp/a/state/_base/k</kernel>",
      "<serial type='file'><source path='/tmp/a/state/instances/1/console.log'/></serial>",
      "<source file='/tmp/a/statement/other'/>",
    ].join("\n");
    const moved = rebasePaths(xml, "/tmp/a/state", "/tmp/b/state");
    expect(moved).toContain("<source file='/tmp/b/state/instances/1/disk'/>");
    expect(moved).toContain("<kernel>/tmp/b/state/_base/k</kernel>");
    expect(moved).toContain("<source path='/tmp/b/state/instances/1/console.log'/>");
    // Only whole directory prefixes move.
    expect(moved).toContain("/tmp/a/statement/other");
    expect(rebasePaths("<x>/s &amp; t/y</x>", "/s & t", "/d")).toBe("<x>/d/y</x>");
  });

  it("names a local socket's transport in the URI the source's libvirtd connects to", () => {
    expect(inboundLibvirtUri("qemu:///system?socket=/tmp/b/run/libvirt-sock")).toBe("qemu+unix:///system?socket=/tmp/b/run/libvirt-sock");
    expect(inboundLibvirtUri("qemu+tcp://host-b/system")).toBe("qemu+tcp://host-b/system");
    expect(inboundLibvirtUri("qemu:///system")).toBe("qemu:///system");
  });

  it("reads a migration job's progress from virsh domjobinfo, short of 100 % until it is over", () => {
    const info = [
      "Job type:         Unbounded",
      "Operation:        Outgoing migration",
      "Time elapsed:     811          ms",
      "Data processed:   64.500 MiB",
      "Data remaining:   193.500 MiB",
      "Data total:       258.000 MiB",
    ].join("\n");
    expect(jobPercent(info)).toBe(25);
    expect(jobPercent(info.replace("64.500 MiB", "300.000 MiB"))).toBe(99);
    expect(jobPercent("Job type:         None\n")).toBeNull();
    expect(jobPercent("Data processed:   1.000 GiB\nData total:       2048.000 MiB\n")).toBe(50);
  });
});
