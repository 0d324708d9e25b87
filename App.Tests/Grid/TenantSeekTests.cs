using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdminPortal.Tests.Grid;

/// <summary>
/// The posts grid, the audit log, the jobs list and the dashboards on the embedded SQLite: with the tenant only in the
/// query filter ("all customers OR …"), SQLite planned a scan of every tenant's rows; through the Tenant* sets of
/// <see cref="PortalDbContext"/> each query seeks the tenant's index.
/// </summary>
public class TenantSeekTests(ITestOutputHelper output)
{
    public sealed record Seeded(long Contoso, long ContosoSite, long Fabrikam);

    /// <summary>
    /// The demo data plus three more customers of two sites each, and, spread over every customer: 4,500 posts (every
    /// status, a tenth in the Trash), 6,000 audit entries (a seventh platform-wide) and 900 jobs.
    /// </summary>
    public static async Task<Seeded> SeedManyTenantsAsync(TestDatabase database, int posts = 4_500, int auditEntries = 6_000, int jobs = 900)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var db = context.Db;
        db.WriteAuditEntries = false;
        for (int c = 1; c <= 3; c++)
        {
            var customer = new Customer { Id = TimeOrderedId.Next(), Name = $"Seek Tenant {c}", Slug = $"seek{c}", CreatedAt = DateTime.UtcNow };
            db.Customers.Add(customer);
            db.Sites.Add(new Site { Id = TimeOrderedId.Next(), CustomerId = customer.Id, Name = $"Seek {c} A", Domain = $"a.seek{c}.example", CreatedAt = DateTime.UtcNow });
            db.Sites.Add(new Site { Id = TimeOrderedId.Next(), CustomerId = customer.Id, Name = $"Seek {c} B", Domain = $"b.seek{c}.example", CreatedAt = DateTime.UtcNow });
        }

        await db.SaveChangesAsync();
        var sites = await db.Sites.AsNoTracking().OrderBy(s => s.Id).Select(s => new { s.Id, s.CustomerId }).ToListAsync();
        var customers = sites.Select(s => s.CustomerId).Distinct().ToList();
        var now = DateTime.UtcNow;
        for (int i = 0; i < posts; i++)
        {
            var site = sites[i % sites.Count];
            var status = (PostStatus)(i / sites.Count % 3);
            db.Posts.Add(new Post
            {
                Id = TimeOrderedId.Next(), SiteId = site.Id, Title = $"Seek post {i:D5}", Slug = $"seek-post-{i}", Content = "Body", Status = status,
                PublishedAt = status == PostStatus.Draft ? null : now.AddMinutes(status == PostStatus.Scheduled ? i : -i),
                DeletedAt = i % 10 == 9 ? now.AddMinutes(-i) : null, CreatedAt = now.AddMinutes(-i), UpdatedAt = now.AddMinutes(-i),
            });
        }

        for (int i = 0; i < auditEntries; i++)
        {
            db.AuditLog.Add(new AuditEntry
            {
                At = now.AddSeconds(-i), Actor = $"seek{i % 4}@seek.example", CustomerId = i % 7 == 6 ? null : customers[i % customers.Count],
                EntityType = i % 2 == 0 ? "User" : "Post", EntityId = i, Action = i % 4 == 0 ? AuditActions.SignIn : "updated",
            });
        }

        for (int i = 0; i < jobs; i++)
        {
            var site = sites[i % sites.Count];
            db.Jobs.Add(new BulkJob
            {
                CustomerId = site.CustomerId, SiteId = i % 2 == 0 ? null : site.Id, Kind = JobKind.Users, Action = "Lock", Filter = "{}", Total = 1,
                State = JobState.Succeeded, StartedBy = "seek", StartedByRole = PortalRoles.CustomerAdmin, CreatedAt = now.AddSeconds(-i),
            });
        }

        await db.SaveChangesAsync();
        long contoso = await db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        long fabrikam = await db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
        long contosoSite = await db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Name).Select(s => s.Id).FirstAsync();
        return new Seeded(contoso, contosoSite, fabrikam);
    }

    /// <summary>
    /// posts.customer_id is set from the post's site on every save, whatever the code wrote there: a new post, a post
    /// planted with another customer's id, and a post a platform admin moves to another customer's site.
    /// </summary>
    [Theory, BothProviders]
    public async Task PostCustomer_IsAlwaysItsSitesCustomer_WhateverTheCodeWrote(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var seeded = await SeedManyTenantsAsync(database, posts: 10, auditEntries: 0, jobs: 0);
        long fabrikamSite;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            fabrikamSite = await system.Db.Sites.Where(s => s.CustomerId == seeded.Fabrikam).Select(s => s.Id).FirstAsync();
        }

        long planted, moved;
        await using (var admin = await database.ContextAsync(TenantScope.ForCustomer(seeded.Contoso)))
        {
            var plain = new Post { SiteId = seeded.ContosoSite, Title = "New", Slug = "new-customer-id" };
            var wrong = new Post { SiteId = seeded.ContosoSite, CustomerId = seeded.Fabrikam, Title = "Planted", Slug = "planted-customer-id" };
            admin.Db.Posts.AddRange(plain, wrong);
            await admin.Db.SaveChangesAsync();
            (planted, moved) = (wrong.Id, plain.Id);
        }

        await using (var platform = await database.ContextAsync(TenantScope.System()))
        {
            var post = await platform.Db.Posts.SingleAsync(p => p.Id == moved);
            post.SiteId = fabrikamSite;
            await platform.Db.SaveChangesAsync();
        }

        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.Equal(seeded.Contoso, await check.Db.Posts.Where(p => p.Id == planted).Select(p => p.CustomerId).SingleAsync());
        Assert.Equal(seeded.Fabrikam, await check.Db.Posts.Where(p => p.Id == moved).Select(p => p.CustomerId).SingleAsync());
        Assert.Equal(0, await check.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync(p => p.CustomerId != p.Site!.CustomerId));
        // Contoso's grid no longer lists the moved post; Fabrikam's does.
        await using var contoso = await database.ContextAsync(TenantScope.ForCustomer(seeded.Contoso));
        Assert.False(await contoso.Db.TenantPosts.AnyAsync(p => p.Id == moved));
        await using var fabrikam = await database.ContextAsync(TenantScope.ForCustomer(seeded.Fabrikam));
        Assert.True(await fabrikam.Db.TenantPosts.AnyAsync(p => p.Id == moved));
    }

    /// <summary>The migration's backfill: down to the migration before it, and up again over the seeded posts.</summary>
    [Theory, BothProviders]
    public async Task PostCustomerIdMigration_BackfillsEveryPostsCustomerFromItsSite(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await SeedManyTenantsAsync(database, posts: 300, auditEntries: 0, jobs: 0);
        int posts;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            posts = await system.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync();
            var all = system.Db.Database.GetMigrations().ToList();
            int at = all.FindIndex(m => m.EndsWith("_PostCustomerId", StringComparison.Ordinal));
            var migrator = system.Db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
            await migrator.MigrateAsync(all[at - 1]);
            await migrator.MigrateAsync(all[^1]);
        }

        await using var after = await database.ContextAsync(TenantScope.System());
        Assert.True(posts > 300);
        Assert.Equal(posts, await after.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync(p => p.CustomerId == p.Site!.CustomerId));
    }

    /// <summary>Every command the posts grid, audit log, jobs list and dashboards send for a customer admin and an editor.</summary>
    private static async Task<List<(string What, string Sql, List<(string Name, object? Value)> Parameters)>> HotCommandsAsync(TestDatabase database, Seeded seeded)
    {
        var counter = new CommandCounter();
        var captured = new List<(string, string, List<(string, object?)>)>();
        void Take(string what)
        {
            captured.AddRange(counter.Commands.Select(c => (what, c.Sql, c.Parameters)));
            counter.Reset();
        }

        foreach (var tenant in new[] { TenantScope.ForCustomer(seeded.Contoso), TenantScope.ForCustomer(seeded.Contoso, "editor", PortalRoles.Editor, seeded.ContosoSite) })
        {
            string who = tenant.SiteId is null ? "admin" : "editor";
            await using var scope = database.Scope(tenant);
            var factory = counter.Wrap(scope.ServiceProvider);
            var posts = new PostQueries(factory);
            foreach (var tab in Enum.GetValues<PostTab>())
            {
                foreach (var sort in Enum.GetValues<PostSort>())
                {
                    foreach (bool descending in new[] { true, false })
                    {
                        foreach (long? site in tenant.SiteId is null ? new long?[] { null, seeded.ContosoSite } : [null])
                        {
                            var filter = new PostFilter(tab, SiteId: site, Sort: sort, Descending: descending);
                            string what = $"posts {who} {tab} by {sort} {(descending ? "desc" : "asc")}{(site is null ? "" : " of a site")}";
                            counter.Reset();
                            var first = await posts.GetPageAsync(filter, new PageRequest(Size: 25));
                            Assert.NotEmpty(first.Rows);
                            Take(what + " first");
                            await posts.GetPageAsync(filter, new PageRequest(PageRequestKind.After, first.Last, 25));
                            Take(what + " after");
                        }
                    }
                }
            }

            await posts.CountTabsAsync(new PostFilter());
            Take($"posts {who} tab counts");

            var roleDashboards = new RoleDashboardService(factory);
            await roleDashboards.GetEditorAsync(null);
            Take($"editor dashboard ({who})");

            if (tenant.SiteId is null)
            {
                var audit = new AuditService(factory);
                foreach (var filter in new[] { new AuditFilter(), new AuditFilter(EntityType: "User"), new AuditFilter(Action: AuditActions.SignIn), new AuditFilter(Actor: "seek1") })
                {
                    var first = await audit.GetPageAsync(filter, new PageRequest(Size: 25));
                    Assert.NotEmpty(first.Rows);
                    Take($"audit {filter} first");
                    await audit.GetPageAsync(filter, new PageRequest(PageRequestKind.After, first.Last, 25));
                    Take($"audit {filter} after");
                }

                await new DashboardService(factory, TimeProvider.System).GetSummaryAsync();
                Take("admin dashboard");
            }

            var jobs = new JobService(factory, scope.ServiceProvider.GetRequiredService<TenantContext>(), scope.ServiceProvider, TimeProvider.System, new AdminPortal.App.Data.InProcessChangeFeed());
            Assert.NotEmpty(await jobs.ListAsync());
            Take($"jobs {who}");
        }

        return captured;
    }

    private static readonly (string Table, string Index)[] TenantIndexes =
    [
        ("posts", @"ix_posts_((site_id|customer_id)_\w+ \((site_id|customer_id)|author_id \(author_id)=\?"),
        ("audit_log", @"ix_audit_log_customer_id_\w+ \(customer_id=\?"),
        ("jobs", @"ix_jobs_customer_id_created_at_id \(customer_id=\?"),
    ];

    /// <summary>
    /// Every command of the posts grid (every tab, sort and direction, first and later page, the tab counts), the audit
    /// log, the jobs list and the dashboards, for a customer admin and an editor: each tenant table it reads is reached
    /// by a SEARCH on the tenant's index, never a SCAN; the audit log and the jobs list need no sort step, nor do the
    /// editor's posts (one site) in their default order.
    /// </summary>
    [Fact]
    public async Task HotReads_OnSqlite_SeekTheTenantIndex()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        var seeded = await SeedManyTenantsAsync(database);
        var failures = new List<string>();
        var commands = await HotCommandsAsync(database, seeded);
        foreach (var (what, sql, parameters) in commands)
        {
            string plan = await AdminPortal.Tests.Infrastructure.SqlitePlan.TextAsync(database.Options.ConnectionString!, sql, parameters);
            foreach (var (table, index) in TenantIndexes)
            {
                // The table's alias in this command: FROM "posts" AS "p" (EF may name it p0 in a subquery).
                foreach (Match from in Regex.Matches(sql, $"FROM \"{table}\" AS \"(\\w+)\""))
                {
                    string alias = from.Groups[1].Value;
                    // A subquery's lookup of one row by id (the audit page's "does it still exist") is a seek too.
                    bool seeks = Regex.IsMatch(plan, $@"SEARCH {alias} USING (INTEGER PRIMARY KEY|(COVERING )?INDEX {index})");
                    bool scans = Regex.IsMatch(plan, $@"SCAN {alias}\b");
                    // Every page of a live tab, in every sort and direction, for one site or a whole customer, walks an
                    // index in the page's order and stops at the page's end: no sort step, whatever the number of posts.
                    bool inIndexOrder = what.StartsWith("audit", StringComparison.Ordinal) || what.StartsWith("jobs", StringComparison.Ordinal)
                        || (table == "posts" && Regex.IsMatch(what, @"^posts \w+ (Drafts|Scheduled|Published) by"));
                    bool sorted = inIndexOrder && plan.Contains("TEMP B-TREE FOR ORDER BY");
                    if (!seeks || scans || sorted)
                    {
                        failures.Add($"{what} ({table} as {alias}):\n{(failures.Count < 2 ? sql + "\n" : "")}{plan}");
                    }
                }
            }
        }

        Assert.True(commands.Count > 100, $"only {commands.Count} commands were captured");
        Assert.True(failures.Count == 0, $"{failures.Count} of {commands.Count} commands do not seek:\n\n" + string.Join("\n\n", failures));
    }

    /// <summary>
    /// What the equalities are worth on SQLite, in the same run: the page query and capped count of the posts grid, the
    /// audit log and the jobs list, each 200 times through the filter alone (the old query) and through the Tenant*
    /// set. Both give the same rows; the figures are printed, not asserted (the machine is shared).
    /// </summary>
    [Fact]
    public async Task HotReads_OnSqlite_TimeAgainstTheFilterAlone()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        var seeded = await SeedManyTenantsAsync(database, posts: 20_000, auditEntries: 30_000, jobs: 3_000);
        await using var scope = database.Scope(TenantScope.ForCustomer(seeded.Contoso));
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var cases = new (string What, Func<PortalDbContext, bool, IQueryable<object>> Query, bool Count)[]
        {
            ("posts page (Drafts, updated desc, 26 rows)", (db, seek) => (seek ? db.TenantPosts : db.Posts).AsNoTracking().Where(p => p.Status == PostStatus.Draft)
                .OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id).Take(26).Select(p => (object)new { p.Id, p.Title, p.Site!.Name }), false),
            ("posts capped count (Published)", (db, seek) => (seek ? db.TenantPosts : db.Posts).Where(p => p.Status == PostStatus.Published).Take(CappedCount.Cap + 1).Select(p => (object)p.Id), true),
            ("audit page (26 rows)", (db, seek) => (seek ? db.TenantAuditLog : db.AuditLog).AsNoTracking()
                .OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(26).Select(a => (object)new { a.Id, a.Actor }), false),
            ("jobs list (100 rows)", (db, seek) => (seek ? db.TenantJobs : db.Jobs).AsNoTracking()
                .OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(JobService.PageSize).Select(j => (object)new { j.Id, j.State, j.Action }), false),
        };

        foreach (var (what, query, count) in cases)
        {
            async Task<int> Run(PortalDbContext db, bool seek) => count ? await query(db, seek).CountAsync() : (await query(db, seek).ToListAsync()).Count;
            var elapsed = new Dictionary<bool, TimeSpan>();
            await using (var warm = await factory.CreateDbContextAsync())
            {
                Assert.Equal(await Run(warm, false), await Run(warm, true));
                foreach (bool seek in new[] { false, true })
                {
                    await using var command = query(warm, seek).CreateDbCommand();
                    var parameters = command.Parameters.Cast<System.Data.Common.DbParameter>().Select(p => (p.ParameterName, (object?)p.Value)).ToList();
                    output.WriteLine($"{what}, {(seek ? "tenant seek" : "filter alone")}{(count ? " (the rows counted)" : "")}:\n{await AdminPortal.Tests.Infrastructure.SqlitePlan.TextAsync(database.Options.ConnectionString!, command.CommandText, parameters)}");
                }
            }

            // The database's own work: each query's SQL and parameters (as EF sent them) run on one open connection,
            // interleaved in rounds of 20 so that the machine's load falls on both alike.
            var commands = new Dictionary<bool, (string Sql, List<(string Name, object? Value)> Parameters)>();
            await using (var shape = await factory.CreateDbContextAsync())
            {
                foreach (bool seek in new[] { false, true })
                {
                    // For the capped count: the rows it counts (the ids, LIMIT 10001), read rather than counted.
                    await using var command = query(shape, seek).CreateDbCommand();
                    commands[seek] = (command.CommandText, command.Parameters.Cast<System.Data.Common.DbParameter>().Select(p => (p.ParameterName, (object?)p.Value)).ToList());
                }
            }

            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(database.Options.ConnectionString);
            await connection.OpenAsync();
            var cpu = new Dictionary<bool, TimeSpan> { [false] = TimeSpan.Zero, [true] = TimeSpan.Zero };
            elapsed[false] = elapsed[true] = TimeSpan.Zero;
            for (int round = 0; round < 10; round++)
            {
                foreach (bool seek in new[] { false, true })
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = commands[seek].Sql;
                    foreach (var (name, value) in commands[seek].Parameters)
                    {
                        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
                    }

                    var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                    var watch = Stopwatch.StartNew();
                    for (int i = 0; i < 20; i++)
                    {
                        await using var reader = await command.ExecuteReaderAsync();
                        while (await reader.ReadAsync())
                        {
                        }
                    }

                    elapsed[seek] += watch.Elapsed;
                    cpu[seek] += Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
                }
            }

            double before = elapsed[false].TotalMilliseconds / 200, after = elapsed[true].TotalMilliseconds / 200;
            double cpuBefore = cpu[false].TotalMilliseconds / 200, cpuAfter = cpu[true].TotalMilliseconds / 200;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{what}: filter alone {before:F3} ms, tenant seek {after:F3} ms per query (wall, 200 each), {before / after:F1}x; process CPU {cpuBefore:F3} → {cpuAfter:F3} ms, {cpuBefore / Math.Max(cpuAfter, 0.001):F1}x"));
        }

        output.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    /// <summary>
    /// PostgreSQL folds the parameters into a custom plan, so the filter alone already let it use the tenant's index; the
    /// equality must not make its plans worse. After ANALYZE, the planner's estimated cost of each new query is at most
    /// that of the old one (with a little slack for estimates), and no new plan reads posts or the audit log sequentially.
    /// </summary>
    [Fact]
    public async Task HotReads_OnPostgres_PlanNoWorseThanTheFilterAlone()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Postgres, seed: true);
        var seeded = await SeedManyTenantsAsync(database, posts: 20_000, auditEntries: 30_000, jobs: 3_000);
        await using (var connection = new NpgsqlConnection(database.Options.ConnectionString))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand("ANALYZE", connection).ExecuteNonQueryAsync();
        }

        var worse = new List<string>();
        foreach (var tenant in new[] { TenantScope.ForCustomer(seeded.Contoso), TenantScope.ForCustomer(seeded.Contoso, "editor", PortalRoles.Editor, seeded.ContosoSite) })
        {
            await using var scope = database.Scope(tenant);
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var pairs = new (string What, IQueryable<object> Old, IQueryable<object> New)[]
            {
                ("posts page", PostsPage(db.Posts), PostsPage(db.TenantPosts)),
                ("posts count", db.Posts.Where(p => p.Status == PostStatus.Published).Take(CappedCount.Cap + 1).Select(p => (object)p.Id), db.TenantPosts.Where(p => p.Status == PostStatus.Published).Take(CappedCount.Cap + 1).Select(p => (object)p.Id)),
                ("audit page", db.AuditLog.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(26).Select(a => (object)a.Id), db.TenantAuditLog.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(26).Select(a => (object)a.Id)),
                ("jobs list", db.Jobs.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(100).Select(j => (object)j.Id), db.TenantJobs.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(100).Select(j => (object)j.Id)),
            };
            foreach (var (what, old, @new) in pairs)
            {
                var (oldCost, oldPlan) = await PostgresCostAsync(db, old);
                var (newCost, newPlan) = await PostgresCostAsync(db, @new);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tenant.Role} {what}: estimated cost {oldCost:F2} (filter alone) → {newCost:F2} (tenant seek)"));
                if (newCost > oldCost * 1.1 + 1 || Regex.IsMatch(newPlan, @"Seq Scan on (posts|audit_log)\b"))
                {
                    worse.Add($"{tenant.Role} {what}: {oldCost} → {newCost}\nold:\n{oldPlan}\nnew:\n{newPlan}");
                }
            }
        }

        Assert.True(worse.Count == 0, string.Join("\n\n", worse));

        static IQueryable<object> PostsPage(IQueryable<Post> posts) => posts.Where(p => p.Status == PostStatus.Draft)
            .OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id).Take(26).Select(p => (object)new { p.Id, p.Title, p.Site!.Name });
    }

    private static async Task<(double Cost, string Plan)> PostgresCostAsync(PortalDbContext db, IQueryable<object> query)
    {
        await using var command = query.CreateDbCommand();
        await db.Database.OpenConnectionAsync();

        command.CommandText = "EXPLAIN " + command.CommandText;
        var lines = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        double cost = double.Parse(Regex.Match(lines[0], @"cost=[\d.]+\.\.([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        return (cost, string.Join("\n", lines));
    }
}
