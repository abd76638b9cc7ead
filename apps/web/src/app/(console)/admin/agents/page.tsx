"use client";

import { AdminPage } from "@/components/admin/admin-page";
import { ComputeAgents } from "@/components/admin/agents/compute-agents";

export default function ComputeAgentsPage() {
  return (
    <AdminPage
      title="Compute agents"
      description="Enrol new compute hosts with one-time join tokens, and cut off a host's agent by revoking its credential."
    >
      <ComputeAgents />
    </AdminPage>
  );
}
