using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using System.Text.RegularExpressions;
using Npgsql;

namespace AdminPortal.Tests.Grid;

public class GridKernelTests
{
    private static async Task<long> ContosoAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
    }

    /// <summary>First, After the first page, Before the page after that, Last: the four ways a grid page is read.</summary>
    private static async Task AssertEveryPageAtMostTwoCommandsAsync<TRow>(CommandCounter counter, string what, Func<PageRequest, Task<GridPage<TRow>>> read, bool requireRows = true)
    {
        async Task<GridPage<TRow>> Counted(PageRequest request, string kind)
        {
            counter.Reset();
            var page = await read(request);
            var commands = counter.Commands;
            Assert.True(commands.Count <= 2, $"{what}, {kind}: {commands.Count} commands:\n{string.Join("\n---\n", commands.Select(c => c.Sql))}");
            return page;
        }

        var first = await Counted(new PageRequest(Size: 3), "first page");
        Assert.True(!requireRows || first.Rows.Count > 0, $"{what}: no rows, so nothing was paged");
        var second = await Counted(new PageRequest(PageRequestKind.After, first.Last, 3), "after");
        if (second.First is { } back)
        {
            await Counted(new PageRequest(PageRequestKind.Before, back, 3), "before");
        }

        await Counted(new PageRequest(PageRequestKind.Last, Size: 3), "last page");
    }

    [Theory, BothProviders]
    public async Task GridPages_EverySortFilterAndDirection_AtMostTwoCommands(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso = await ContosoAsync(database);
        long site;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            site = await context.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Name).Select(s => s.Id).FirstAsync();
        }

        var counter = new CommandCounter();
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var factory = counter.Wrap(scope.ServiceProvider);
        var users = new UserService(factory, TimeProvider.System);
        var posts = new PostQueries(factory);
        foreach (bool descending in new[] { false, true })
        {
            foreach (var sort in Enum.GetValues<UserSort>())
            {
                await AssertEveryPageAtMostTwoCommandsAsync(counter, $"users by {sort}", r => users.GetPageAsync(new UserFilter(Sort: sort, Descending: descending), r));
                await AssertEveryPageAtMostTwoCommandsAsync(counter, $"users of a site by {sort}", r => users.GetPageAsync(new UserFilter(SiteId: site, Sort: sort, Descending: descending), r));
            }

            await AssertEveryPageAtMostTwoCommandsAsync(counter, "users, every filter", r => users.GetPageAsync(
                new UserFilter(Search: "a", SiteId: site, AuthKind: AuthKind.LegacyOnly, SyncStatus: SyncStatus.Synced, State: UserState.Active, DormantDays: 1, ProviderId: 1, Descending: descending), r with { Size = 1 }), requireRows: false);
            await AssertEveryPageAtMostTwoCommandsAsync(counter, "users, some filters", r => users.GetPageAsync(
                new UserFilter(SiteId: site, State: UserState.Active, Descending: descending), r with { Size = 1 }));

            foreach (var sort in Enum.GetValues<PostSort>())
            {
                // Published mixes NULLs and values only in the Trash.
                var tab = sort == PostSort.Published ? PostTab.Trash : PostTab.Drafts;
                await AssertEveryPageAtMostTwoCommandsAsync(counter, $"posts by {sort}", r => posts.GetPageAsync(new PostFilter(tab, Sort: sort, Descending: descending), r));
                await AssertEveryPageAtMostTwoCommandsAsync(counter, $"posts of a site by {sort}", r => posts.GetPageAsync(new PostFilter(tab, SiteId: site, Sort: sort, Descending: descending), r with { Size = 1 }));
            }
        }

        // The audit log: a customer admin's and a platform admin's (whose rows name other customers).
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            for (int i = 0; i < 8; i++)
            {
                context.Db.AuditLog.Add(new AuditEntry { At = DateTime.UtcNow.AddMinutes(-i), Actor = "grid@test.example", CustomerId = contoso, EntityType = "User", EntityId = i, Action = "updated" });
            }

            await context.Db.SaveChangesAsync();
        }

        foreach (var tenant in new[] { TenantScope.ForCustomer(contoso), TenantScope.System() })
        {
            await using var auditScope = database.Scope(tenant);
            var audit = new AuditService(counter.Wrap(auditScope.ServiceProvider));
            await AssertEveryPageAtMostTwoCommandsAsync(counter, "audit", r => audit.GetPageAsync(new AuditFilter(), r));
            await AssertEveryPageAtMostTwoCommandsAsync(counter, "audit of users", r => audit.GetPageAsync(new AuditFilter(EntityType: "User", Actor: "grid@"), r));
            var named = await audit.GetPageAsync(new AuditFilter(Actor: "grid@"), new PageRequest(Size: 1));
            Assert.Equal("Contoso", named.Rows.Single().Customer?.Split(' ')[0]);
        }
    }

    /// <summary>
    /// On SQLite a page read again is not translated to SQL again: EF reuses the SQL it generated (the same string),
    /// the cursor's values and the LIMIT travel as parameters. On PostgreSQL the LIMITs are literals, for its generic
    /// plans (LiteralLimit). Before, SQLite's LIMITs were literals too, written with EF.Constant, which EF inlines only
    /// while it generates the SQL, so it generated the SQL anew on every call: 17 % of a users-grid turn's allocation.
    /// </summary>
    [Theory, BothProviders]
    public async Task PageReadAgain_ReusesItsGeneratedSql_WithLiteralLimits(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso = await ContosoAsync(database);
        var counter = new CommandCounter();
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var factory = counter.Wrap(scope.ServiceProvider);
        // A service per call: one circuit's service remembers the count, and would not count again.
        UserService Users() => new(factory, TimeProvider.System);
        var first = await Users().GetPageAsync(new UserFilter(), new PageRequest(Size: 2));
        Assert.NotNull(first.Last);
        // A hostile name in the cursor: a parameter's value, never part of the SQL.
        var hostile = new PageCursor("Robert'); DROP TABLE users;--", first.Last.Id);

        foreach (var request in new[] { new PageRequest(Size: 2), new PageRequest(PageRequestKind.After, first.Last, 2), new PageRequest(PageRequestKind.After, hostile, 2) })
        {
            counter.Reset();
            await Users().GetPageAsync(new UserFilter(), request);
            await Users().GetPageAsync(new UserFilter(), request with { Cursor = request.Cursor is null ? null : request.Cursor with { Id = request.Cursor.Id + 1 } });
            var commands = counter.Commands;
            Assert.Equal(4, commands.Count); // page and count, twice
            for (int i = 0; i < 2; i++)
            {
                var (once, again) = (commands[i], commands[i + 2]);
                Assert.DoesNotContain("DROP TABLE", once.Sql);
                string limit = i == 0 ? "3" : "10001";
                if (provider == DatabaseProvider.Postgres)
                {
                    // PostgreSQL: the literal, for its generic plan (at the price of the SQL generated every call).
                    Assert.True(Regex.IsMatch(once.Sql, $@"LIMIT {limit}\b"), once.Sql);
                }
                else
                {
                    // SQLite: a parameter, and the SQL generated once.
                    Assert.True(ReferenceEquals(once.Sql, again.Sql), $"{request.Kind}: EF generated this SQL again for the second call:\n{again.Sql}");
                    Assert.Matches(@"LIMIT @\w+", once.Sql);
                    Assert.Contains(once.Parameters, p => Equals(p.Value, int.Parse(limit)));
                }
            }
        }
    }

    /// <summary>
    /// The same rows on both databases, sorted on a column that is NULL for some: each database pages in its own
    /// NULL order (PostgreSQL puts NULL above every value, SQLite below), so the walk matches that database's ORDER BY
    /// and its index; apart from where the NULL block sits, both walks are identical.
    /// </summary>
    [Fact]
    public async Task NullableSort_SameRowsOnBothDatabases_PageIdenticallyApartFromTheNullBlock()
    {
        var walks = new Dictionary<DatabaseProvider, Dictionary<bool, List<long>>>();
        foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.Postgres })
        {
            await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
            long contoso = await ContosoAsync(database);
            await using (var context = await database.ContextAsync(TenantScope.System()))
            {
                var site = await context.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Name).FirstAsync();
                var tie = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
                for (int i = 0; i < 17; i++)
                {
                    // Fixed ids so that both databases hold the same rows; NULLs, ties and distinct values mixed.
                    context.Db.Users.Add(new User
                    {
                        Id = 9_000_000_000_000_000_000 + i, CustomerId = contoso, SiteId = site.Id, Email = $"null{i}@nulls.example", DisplayName = $"Nulls {i}",
                        LastLoginAt = i % 3 == 0 ? null : i % 3 == 1 ? tie : tie.AddHours(i), CreatedAt = tie, PasswordHash = "x",
                    });
                }

                await context.Db.SaveChangesAsync();
            }

            await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
            var users = new UserService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);
            walks[provider] = [];
            foreach (bool descending in new[] { false, true })
            {
                var filter = new UserFilter(Search: "Nulls", Sort: UserSort.LastLogin, Descending: descending);
                var whole = (await users.GetPageAsync(filter, new PageRequest(Size: 200))).Rows.Select(r => long.Parse(r.Id)).ToList();
                Assert.Equal(17, whole.Count);

                // Forward in pages of 2 from the first page, and backward from the last: both give the ORDER BY's order.
                var forward = new List<long>();
                var page = await users.GetPageAsync(filter, new PageRequest(Size: 2));
                forward.AddRange(page.Rows.Select(r => long.Parse(r.Id)));
                while (page.HasNext)
                {
                    page = await users.GetPageAsync(filter, new PageRequest(PageRequestKind.After, page.Last, 2));
                    forward.AddRange(page.Rows.Select(r => long.Parse(r.Id)));
                }

                var backward = new List<long>();
                page = await users.GetPageAsync(filter, new PageRequest(PageRequestKind.Last, Size: 2));
                backward.InsertRange(0, page.Rows.Select(r => long.Parse(r.Id)));
                while (page.HasPrevious)
                {
                    page = await users.GetPageAsync(filter, new PageRequest(PageRequestKind.Before, page.First, 2));
                    backward.InsertRange(0, page.Rows.Select(r => long.Parse(r.Id)));
                }

                Assert.Equal(whole, forward);
                Assert.Equal(whole, backward);

                // NULLs at the database's end: PostgreSQL high (last ascending), SQLite low (first ascending).
                var nulls = whole.Where(id => (id - 9_000_000_000_000_000_000) % 3 == 0).ToList();
                bool nullsFirst = descending == (provider == DatabaseProvider.Postgres);
                Assert.Equal(nulls, nullsFirst ? whole.Take(nulls.Count) : whole.TakeLast(nulls.Count));
                walks[provider][descending] = whole;
            }
        }

        foreach (bool descending in new[] { false, true })
        {
            static List<long> WithoutNulls(List<long> ids) => ids.Where(id => (id - 9_000_000_000_000_000_000) % 3 != 0).ToList();
            static List<long> Nulls(List<long> ids) => ids.Where(id => (id - 9_000_000_000_000_000_000) % 3 == 0).ToList();
            Assert.Equal(WithoutNulls(walks[DatabaseProvider.Sqlite][descending]), WithoutNulls(walks[DatabaseProvider.Postgres][descending]));
            Assert.Equal(Nulls(walks[DatabaseProvider.Sqlite][descending]), Nulls(walks[DatabaseProvider.Postgres][descending]));
        }
    }

    [Fact]
    public void Cursor_LongerThanAnyRowCouldMake_IsRefused()
    {
        var huge = new PageCursor(new string('x', 20_000), 1).Encode();
        Assert.Null(PageCursor.Decode(huge));
        var longest = new PageCursor(new string('é', PageCursor.MaxTextKeyLength), long.MaxValue);
        Assert.Equal(longest, PageCursor.Decode(longest.Encode()));
    }

    /// <summary>
    /// On enough generated users that PostgreSQL's planner prefers an index, a page near the end of the tenant (After a
    /// cursor) reads through the tenant's index for that sort on every sort, never a sequential scan of users and a sort.
    /// </summary>
    [Fact]
    public async Task DeepPage_OnPostgresWithGeneratedUsers_UsesAnIndexNotASeqScan()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Postgres, seed: true);
        long contoso = await ContosoAsync(database);
        await using (var generate = database.Scope(TenantScope.System()))
        {
            await generate.ServiceProvider.GetRequiredService<UserDataGenerator>().GenerateAsync(60_000, TextWriter.Null);
        }

        await using (var connection = new NpgsqlConnection(database.Options.ConnectionString))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand("ANALYZE", connection).ExecuteNonQueryAsync();
        }

        var counter = new CommandCounter();
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var users = new UserService(counter.Wrap(scope.ServiceProvider), TimeProvider.System);
        var scans = new List<string>();
        foreach (var sort in Enum.GetValues<UserSort>())
        {
            foreach (bool descending in new[] { false, true })
            {
                var filter = new UserFilter(Sort: sort, Descending: descending);
                var last = await users.GetPageAsync(filter, new PageRequest(PageRequestKind.Last, Size: 25));
                Assert.True(last.Total.IsCapped);
                // After the row just before the last page: the deepest After a user can reach by paging.
                var previous = await users.GetPageAsync(filter, new PageRequest(PageRequestKind.Before, last.First, 25));
                counter.Reset();
                var deep = await users.GetPageAsync(filter, new PageRequest(PageRequestKind.After, previous.Last, 25));
                Assert.Equal(last.Rows.Select(r => r.Id), deep.Rows.Select(r => r.Id));
                var (sql, parameters) = counter.Commands[0];
                string plan = await ExplainAsync(database.Options.ConnectionString!, sql, parameters);
                // An index scan, or a bitmap scan bounded by the cursor (a few rows, then sorted). Inside the NULL block
                // at PostgreSQL's end of last_login_at, the planner may take the id range of the primary key instead.
                if (plan.Contains("Seq Scan on users") || !Regex.IsMatch(plan, @"Index (Only )?Scan( Backward)? using (ix_users_customer_id_\w+|pk_users) on users u |Bitmap Index Scan on ix_users_customer_id_"))
                {
                    scans.Add($"{sort} {(descending ? "descending" : "ascending")}:\n{sql}\n{plan}");
                }
            }
        }

        Assert.True(scans.Count == 0, string.Join("\n\n", scans));
    }

    /// <summary>
    /// The embedded default: SQLite plans a statement before it sees the parameters, so the tenant filter's
    /// "all customers OR customer_id = @id" alone left it a full scan of users and a sort for every page (23–40 ms of
    /// server CPU per page turn with 20,000 users). Every sort, both directions, the first and a deep page: the page
    /// and the capped count seek a (customer_id, …) index, and the default sort needs no sort step at all.
    /// </summary>
    [Fact]
    public async Task EveryPage_OnSqlite_SeeksTheTenantIndex()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        long contoso = await ContosoAsync(database);
        await using (var generate = database.Scope(TenantScope.System()))
        {
            await generate.ServiceProvider.GetRequiredService<UserDataGenerator>().GenerateAsync(3_000, TextWriter.Null);
        }

        var counter = new CommandCounter();
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var users = new UserService(counter.Wrap(scope.ServiceProvider), TimeProvider.System);
        var scans = new List<string>();
        foreach (var sort in Enum.GetValues<UserSort>())
        {
            foreach (bool descending in new[] { false, true })
            {
                var filter = new UserFilter(Sort: sort, Descending: descending);
                counter.Reset();
                var first = await users.GetPageAsync(filter, new PageRequest(PageRequestKind.First, Size: 25));
                var firstCommands = counter.Commands;
                counter.Reset();
                await users.GetPageAsync(filter, new PageRequest(PageRequestKind.After, first.Last, 25));
                foreach (var (sql, parameters) in firstCommands.Concat(counter.Commands))
                {
                    string plan = await AdminPortal.Tests.Infrastructure.SqlitePlan.TextAsync(database.Options.ConnectionString!, sql, parameters);
                    bool seeks = Regex.IsMatch(plan, @"SEARCH u USING (COVERING )?INDEX ix_users_customer_id_\w+ \(customer_id=\?");
                    bool sorted = sort == UserSort.Name && plan.Contains("TEMP B-TREE FOR ORDER BY");
                    if (!seeks || Regex.IsMatch(plan, @"SCAN u\b") || sorted)
                    {
                        scans.Add($"{sort} {(descending ? "descending" : "ascending")}:\n{sql}\n{plan}");
                    }
                }
            }
        }

        Assert.True(scans.Count == 0, string.Join("\n\n", scans));
    }

    private static async Task<string> ExplainAsync(string connectionString, string sql, List<(string Name, object? Value)> parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
        foreach (var (name, value) in parameters)
        {
            explain.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join("\n", lines);
    }
}
