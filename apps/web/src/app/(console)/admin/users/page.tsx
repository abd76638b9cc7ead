"use client";

import { AdminPage } from "@/components/admin/admin-page";
import { Users } from "@/components/admin/users/users";

export default function UsersPage() {
  return (
    <AdminPage title="Users" description="Who can sign in, and their role in each project: reader looks, member launches, admin runs the cloud.">
      <Users />
    </AdminPage>
  );
}
