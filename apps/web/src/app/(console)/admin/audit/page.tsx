"use client";

import { AdminPage } from "@/components/admin/admin-page";
import { AuditTrail } from "@/components/admin/audit/audit-trail";

export default function AuditPage() {
  return (
    <AdminPage
      title="Audit trail"
      description="Who did what, when, from where, and whether it worked: sign-ins, identity changes, launches and deletions."
    >
      <AuditTrail />
    </AdminPage>
  );
}
