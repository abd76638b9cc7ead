"use client";

import { AdminPage } from "@/components/admin/admin-page";
import { Projects } from "@/components/admin/projects/projects";

export default function ProjectsPage() {
  return (
    <AdminPage title="Projects" description="Projects own instances and quotas; users work in them through their roles.">
      <Projects />
    </AdminPage>
  );
}
