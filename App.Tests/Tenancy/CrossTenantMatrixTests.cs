using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Tenancy;

/// <summary>
/// Every role × every entity in the model × read, update, delete, restore, with rows of the own tenant, another
/// tenant and the Trash. The entity list comes from the EF model, so a new entity fails this test until it says who
/// owns its rows. Foreign rows must behave as "not found" and no write may land.
/// </summary>
/// <remarks>
/// Runs at the DbContext level, under the same factory, filters and save guard that every service uses. When the
/// entity services of later issues exist, their read/update/delete/restore methods belong in this matrix too.
/// </remarks>
public partial class CrossTenantMatrixTests
{
    /// <summary>Who owns a row: the test's own ground truth, written independently of the query filters.</summary>
    private sealed record Owner(long? CustomerId, long? SiteId);

    private sealed record Row(Type Type, long Id, Owner Owner, bool Deleted);

    private static async Task<List<Row>> AllRowsAsync(PortalDbContext db)
    {
        var sites = await db.Sites.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.CustomerId);
        var users = await db.Users.AsNoTracking().ToDictionaryAsync(u => u.Id, u => (u.CustomerId, u.SiteId));
        var rows = new List<Row>();
        foreach (var entityType in db.Model.GetEntityTypes())
        {
            var type = entityType.ClrType;
            if (type == typeof(Customer))
            {
                rows.AddRange((await db.Customers.AsNoTracking().ToListAsync()).Select(c => new Row(type, c.Id, new Owner(c.Id, null), false)));
            }
            else if (type == typeof(Site))
            {
                rows.AddRange((await db.Sites.AsNoTracking().ToListAsync()).Select(s => new Row(type, s.Id, new Owner(s.CustomerId, s.Id), false)));
            }
            else if (type == typeof(User))
            {
                rows.AddRange(users.Select(u => new Row(type, u.Key, new Owner(u.Value.CustomerId, u.Value.SiteId), false)));
            }
            else if (type == typeof(Post))
            {
                rows.AddRange((await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).AsNoTracking().ToListAsync())
                    .Select(p => new Row(type, p.Id, new Owner(sites[p.SiteId], p.SiteId), p.DeletedAt != null)));
            }
            else if (type == typeof(CiamSystem))
            {
                rows.AddRange((await db.CiamSystems.AsNoTracking().ToListAsync()).Select(c => new Row(type, c.Id, new Owner(c.CustomerId, null), false)));
            }
            else if (type == typeof(UserCiamMapping))
            {
                rows.AddRange((await db.UserCiamMappings.AsNoTracking().ToListAsync()).Select(m => new Row(type, m.Id, new Owner(users[m.UserId].CustomerId, users[m.UserId].SiteId), false)));
            }
            else if (type == typeof(AuditEntry))
            {
                rows.AddRange((await db.AuditLog.AsNoTracking().ToListAsync()).Select(a => new Row(type, a.Id, new Owner(a.CustomerId, null), false)));
            }
            else if (type == typeof(PortalSession))
            {
                rows.AddRange((await db.PortalSessions.AsNoTracking().ToListAsync()).Select(s => new Row(type, s.Id, new Owner(s.CustomerId, null), false)));
            }
            else if (type == typeof(CustomerDomain))
            {
                rows.AddRange((await db.CustomerDomains.AsNoTracking().ToListAsync()).Select(d => new Row(type, d.Id, new Owner(d.CustomerId, null), false)));
            }
            else if (type == typeof(App.Features.Reports.ReportSnapshot))
            {
                rows.AddRange((await db.Set<App.Features.Reports.ReportSnapshot>().AsNoTracking().ToListAsync()).Select(r => new Row(type, r.Id, new Owner(r.CustomerId, r.SiteId), false)));
            }
            else if (type == typeof(App.Features.Jobs.BulkJob))
            {
                rows.AddRange((await db.Jobs.AsNoTracking().ToListAsync()).Select(j => new Row(type, j.Id, new Owner(j.CustomerId, j.SiteId), false)));
            }
            else if (type == typeof(Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey))
            {
                // The key ring belongs to no tenant and is hidden from all of them, the system scope included: only
                // DataProtectionKeyContext reads it. The matrix's system read proves the filter hides it.
                Assert.Empty(await db.Set<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey>().ToListAsync());
            }
            else
            {
                Assert.Fail($"{type.Name} is a new entity: say in CrossTenantMatrixTests who owns its rows, and give it a Tenant filter and a save rule.");
            }
        }

        return rows;
    }

    private static bool Readable(TenantScope scope, Row row) =>
        row.Type == typeof(CiamSystem) && row.Owner.CustomerId is null
            ? true // platform-wide providers are readable by every tenant, writable by none
            : (row.Type == typeof(App.Features.Reports.ReportSnapshot) || row.Type == typeof(App.Features.Jobs.BulkJob)) && scope.SiteId is not null
                ? row.Owner.CustomerId == scope.CustomerId && row.Owner.SiteId == scope.SiteId // a customer-wide report counts the other sites too
                : row.Owner.CustomerId == scope.CustomerId && (scope.SiteId is null || row.Owner.SiteId is null || row.Owner.SiteId == scope.SiteId);

    private static bool Writable(TenantScope scope, Row row) =>
        row.Owner.CustomerId == scope.CustomerId && (scope.SiteId is null || row.Owner.SiteId is null || row.Owner.SiteId == scope.SiteId);

    private static IQueryable<object> SetOf(PortalDbContext db, Type type, bool includeTrash)
    {
        var set = (IQueryable<object>)typeof(DbContext).GetMethod(nameof(DbContext.Set), Type.EmptyTypes)!.MakeGenericMethod(type).Invoke(db, null)!;
        return includeTrash ? set.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]) : set;
    }

    private static App.Features.Jobs.BulkJob MatrixJob(long? customerId, long? siteId) => new()
    {
        CustomerId = customerId, SiteId = siteId, Kind = App.Features.Jobs.JobKind.Users, Action = "Lock", Filter = "{}", Total = 1,
        State = App.Features.Jobs.JobState.Queued, StartedBy = "matrix", StartedByRole = PortalRoles.CustomerAdmin, CreatedAt = DateTime.UtcNow,
    };

    [Theory, BothProviders]
    public async Task EveryRoleEveryEntity_ForeignRows_AreNotFoundAndNeverWritten(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        List<Row> rows;
        long contoso;
        long contosoSite;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            // The demo data has no sessions: one open session per customer, so that the matrix covers them.
            foreach (var user in (await system.Db.Users.AsNoTracking().OrderBy(u => u.Id).ToListAsync()).GroupBy(u => u.CustomerId).Select(g => g.First()))
            {
                system.Db.PortalSessions.Add(PortalSessionService.Create(user.Id, user.CustomerId, "test", SessionOrigin.Unknown, DateTime.UtcNow));
            }

            // Nor email domains: one per customer.
            foreach (var customer in await system.Db.Customers.AsNoTracking().ToListAsync())
            {
                system.Db.CustomerDomains.Add(new CustomerDomain { CustomerId = customer.Id, Domain = customer.Slug + ".matrix.example" });
            }

            // Nor jobs: one customer-wide job per customer, one site-bound (an editor's) and one platform-wide.
            foreach (var customer in await system.Db.Customers.AsNoTracking().ToListAsync())
            {
                long site = await system.Db.Sites.Where(s => s.CustomerId == customer.Id).OrderBy(s => s.Name).Select(s => s.Id).FirstAsync();
                system.Db.Jobs.Add(MatrixJob(customer.Id, null));
                system.Db.Jobs.Add(MatrixJob(customer.Id, site));
            }

            system.Db.Jobs.Add(MatrixJob(null, null));
            await system.Db.SaveChangesAsync();

            // Nor report snapshots: the platform's, each customer's, and one site's.
            await ReportSnapshotsAsync(system.Db);
            rows = await AllRowsAsync(system.Db);
            contoso = await system.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            contosoSite = await system.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Name).Select(s => s.Id).FirstAsync();
        }

        TenantScope[] scopes =
        [
            TenantScope.ForCustomer(contoso, "customer-admin", PortalRoles.CustomerAdmin),
            TenantScope.ForCustomer(contoso, "support", PortalRoles.Support),
            TenantScope.ForCustomer(contoso, "editor", PortalRoles.Editor, contosoSite),
        ];
        var failures = new List<string>();
        int cases = 0;

        foreach (var scope in scopes)
        {
            // One own, one foreign and one Trash row of each entity: the three kinds of id a route can carry.
            var targets = rows.GroupBy(r => r.Type).SelectMany(group => new[]
            {
                group.FirstOrDefault(r => Writable(scope, r) && !r.Deleted),
                group.FirstOrDefault(r => !Readable(scope, r) && !r.Deleted),
                group.FirstOrDefault(r => !Readable(scope, r) && r.Deleted),
                group.FirstOrDefault(r => Writable(scope, r) && r.Deleted),
            }).OfType<Row>().ToList();

            foreach (var row in targets)
            {
                string label = $"{scope.Role} × {row.Type.Name} {(Readable(scope, row) ? "own" : "foreign")}{(row.Deleted ? " (trash)" : "")}";

                // Read: the live set, and the Trash view (which ignores only SoftDelete).
                cases++;
                await using (var context = await database.ContextAsync(scope))
                {
                    bool live = await SetOf(context.Db, row.Type, includeTrash: false).AnyAsync(e => EF.Property<long>(e, "Id") == row.Id);
                    bool trash = await SetOf(context.Db, row.Type, includeTrash: true).AnyAsync(e => EF.Property<long>(e, "Id") == row.Id);
                    if (live != (Readable(scope, row) && !row.Deleted) || trash != Readable(scope, row))
                    {
                        failures.Add($"{label}: read live={live}, trash={trash}");
                    }
                }

                if (Writable(scope, row))
                {
                    continue; // own rows: the services' business rules decide; this matrix is about isolation.
                }

                // Update, delete and restore of a foreign row, attached directly (as a forged id would be): refused.
                foreach (string operation in new[] { "update", "delete", "restore" })
                {
                    if (operation == "restore" && !row.Deleted)
                    {
                        continue;
                    }

                    cases++;
                    object? entity;
                    await using (var system = await database.ContextAsync(TenantScope.System()))
                    {
                        entity = await SetOf(system.Db, row.Type, includeTrash: true).AsNoTracking().FirstOrDefaultAsync(e => EF.Property<long>(e, "Id") == row.Id);
                    }

                    if (entity is null)
                    {
                        failures.Add($"{label}: the row vanished before {operation}");
                        continue;
                    }

                    await using var context = await database.ContextAsync(scope);
                    var entry = context.Db.Attach(entity);
                    switch (operation)
                    {
                        case "update":
                            entry.State = EntityState.Modified;
                            break;
                        case "delete":
                            entry.State = EntityState.Deleted;
                            break;
                        default:
                            entry.Property(nameof(Post.DeletedAt)).CurrentValue = null;
                            break;
                    }

                    try
                    {
                        await context.Db.SaveChangesAsync();
                        failures.Add($"{label}: {operation} was saved");
                    }
                    catch (CrossTenantWriteException)
                    {
                    }
                }
            }
        }

        // Nothing landed: every row is still there, unchanged (no version bumped, nothing restored or deleted).
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            var after = await AllRowsAsync(system.Db);
            Assert.Equal(rows.Where(r => r.Type != typeof(AuditEntry)).Select(r => (r.Type.Name, r.Id, r.Deleted)).Order(), after.Where(r => r.Type != typeof(AuditEntry)).Select(r => (r.Type.Name, r.Id, r.Deleted)).Order());
            Assert.Equal(rows.Count(r => r.Type == typeof(AuditEntry)), after.Count(r => r.Type == typeof(AuditEntry)));
            Assert.Equal(0, await system.Db.Users.CountAsync(u => u.Version != 1) + await system.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync(p => p.Version != 1) + await system.Db.Customers.CountAsync(c => c.Version != 1));
        }

        Assert.True(cases > 50, $"the matrix ran only {cases} cases");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>
    /// The view-as service's paths: its read path (finding the target by an id from the URL) treats every foreign,
    /// missing or malformed id as "not found" and writes nothing; and a view-as scope (the circuit while viewing as)
    /// writes no row of any entity, own or foreign, through any road.
    /// </summary>
    [Theory, BothProviders]
    public async Task ViewAs_ForeignTargetsAreNotFound_AndAViewAsScopeWritesNoRowOfAnyEntity(DatabaseProvider provider)
    {
        await using var harness = await Features.ViewAs.ViewAsHarness.CreateAsync(provider);
        var database = harness.Database;
        var fabrikamUsers = await harness.QueryAsync(db => db.Users.Where(u => u.Customer!.Slug == "fabrikam").Select(u => u.Id).ToListAsync());
        var failures = new List<string>();
        foreach (var role in new[] { PortalRole.CustomerAdmin, PortalRole.Support })
        {
            var viewer = await harness.PersonaAsync("contoso", role);
            await using var circuit = await harness.CircuitAsync(viewer.Id);
            var viewAs = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<App.Features.ViewAs.ViewAsService>(circuit.ServiceProvider);
            foreach (long id in fabrikamUsers.Concat([0L, -5L, long.MaxValue]))
            {
                var check = await viewAs.StartAsync(id, "/");
                if (check.Refusal != App.Features.ViewAs.ViewAsRefusal.NotFound || check.Message != "This user does not exist, or is not one of yours.")
                {
                    failures.Add($"{role} → user {id}: {check.Refusal}");
                }
            }
        }

        Assert.Empty(await harness.ViewAsAuditAsync());

        // A view-as scope: contoso's admin viewing as contoso's editor. Update and delete every row of every entity.
        var admin = await harness.PersonaAsync("contoso", PortalRole.CustomerAdmin);
        var editor = await harness.PersonaAsync("contoso", PortalRole.Editor);
        var rows = await harness.QueryAsync(AllRowsAsync);
        await using (var circuit = await harness.CircuitAsync(admin.Id))
        {
            var services = circuit.ServiceProvider;
            Assert.True((await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<App.Features.ViewAs.ViewAsService>(services).StartAsync(editor.Id, "/")).IsAllowed);
            var factory = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IDbContextFactory<PortalDbContext>>(services);
            foreach (var row in rows.GroupBy(r => r.Type).SelectMany(g => g.Take(3)))
            {
                foreach (var state in new[] { EntityState.Modified, EntityState.Deleted })
                {
                    object? entity = await harness.QueryAsync(db => SetOf(db, row.Type, includeTrash: true).AsNoTracking().FirstOrDefaultAsync(e => EF.Property<long>(e, "Id") == row.Id));
                    await using var db = await factory.CreateDbContextAsync();
                    db.Attach(entity!).State = state;
                    try
                    {
                        await db.SaveChangesAsync();
                        failures.Add($"view-as × {row.Type.Name} {row.Id}: {state} was saved");
                    }
                    catch (App.Features.ViewAs.ReadOnlyViewException)
                    {
                    }
                }
            }
        }

        var after = await harness.QueryAsync(AllRowsAsync);
        Assert.Equal(rows.Where(r => r.Type != typeof(AuditEntry)).Select(r => (r.Type.Name, r.Id, r.Deleted)).Order(), after.Where(r => r.Type != typeof(AuditEntry)).Select(r => (r.Type.Name, r.Id, r.Deleted)).Order());
        Assert.Equal(0, await harness.QueryAsync(async db => await db.Users.CountAsync(u => u.Version != 1) + await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync(p => p.Version != 1)));
        // Only the view-as's own two entries were added to the audit log.
        Assert.Equal(rows.Count(r => r.Type == typeof(AuditEntry)) + 2, after.Count(r => r.Type == typeof(AuditEntry)));
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>
    /// InvitationService's read and write paths, as a customer admin of Contoso and as a platform admin switched to
    /// Contoso, against Fabrikam's invitation and site: not found, never changed; tampered ids are not found either.
    /// </summary>
    [Theory, BothProviders]
    public async Task Invitations_ForeignOrTamperedIds_AreNotFoundAndNeverWritten(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await Features.Invitations.InvitationServiceTests.TenantsAsync(database);
        long foreign;
        await using (var fabrikamAdmin = database.Scope(TenantScope.ForCustomer(tenants.Fabrikam)))
        {
            var created = await Features.Invitations.InvitationServiceTests.Service(database, fabrikamAdmin).InviteAsync(new App.Features.Invitations.InvitationRequest
            {
                Email = "fabrikam-invitee@example.com", Role = PortalRole.Support, SiteId = tenants.FabrikamSite.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            foreign = long.Parse(created.UserId!, System.Globalization.CultureInfo.InvariantCulture);
        }

        async Task<(DateTime? Expires, long Version)> ForeignStateAsync()
        {
            await using var system = await database.ContextAsync(TenantScope.System());
            var row = await system.Db.Users.AsNoTracking().SingleAsync(u => u.Id == foreign);
            return (row.InvitationExpiresAt, row.Version);
        }

        var before = await ForeignStateAsync();
        int usersBefore;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            usersBefore = await system.Db.Users.CountAsync();
        }

        var scopes = new[]
        {
            TenantScope.ForCustomer(tenants.Contoso, "contoso-admin"),
            new TenantScope("platform-admin", null, PortalRoles.PlatformAdmin, tenants.Contoso, null, false),
        };
        foreach (var scope in scopes)
        {
            await using var circuit = database.Scope(scope);
            var service = Features.Invitations.InvitationServiceTests.Service(database, circuit);
            foreach (long id in new[] { foreign, 0, -1, long.MaxValue })
            {
                Assert.Null(await service.GetAsync(id));
                Assert.True((await service.ResendAsync(id)).Change.NotFound, $"{scope.Actor}: resend {id}");
                Assert.True((await service.RevokeAsync(id)).NotFound, $"{scope.Actor}: revoke {id}");
            }

            Assert.DoesNotContain(await service.GetSiteChoicesAsync(), s => s.Id == tenants.FabrikamSite.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var intoFabrikam = await service.InviteAsync(new App.Features.Invitations.InvitationRequest
            {
                Email = "intruder@example.com", Role = PortalRole.CustomerAdmin, SiteId = tenants.FabrikamSite.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            Assert.Contains("one of your sites", intoFabrikam.Change.Errors[nameof(App.Features.Invitations.InvitationRequest.SiteId)]);
        }

        Assert.Equal(before, await ForeignStateAsync());
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            Assert.Equal(usersBefore, await system.Db.Users.CountAsync());
            Assert.Equal(0, await system.Db.AuditLog.CountAsync(a => a.EntityId == foreign && a.Action != AuditActions.InvitationCreated));
        }
    }

    /// <summary>
    /// CustomerDomainService, every read and write path, as each role of Contoso against Fabrikam's customer and
    /// domain, and with tampered ids: not found, nothing written. Only customer admins (and platform admins) manage
    /// domains at all, and only platform admins verify.
    /// </summary>
    [Theory, BothProviders]
    public async Task CustomerDomainService_ForeignCustomerAndDomain_NotFoundAndNeverWritten(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, fabrikam, fabrikamDomain, contosoDomain, contosoSite;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            var ids = await system.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
            (contoso, fabrikam) = (ids["contoso"], ids["fabrikam"]);
            contosoSite = await system.Db.Sites.Where(s => s.CustomerId == contoso).Select(s => s.Id).FirstAsync();
            var theirs = new CustomerDomain { CustomerId = fabrikam, Domain = "fabrikam.example" };
            var ours = new CustomerDomain { CustomerId = contoso, Domain = "contoso.example" };
            system.Db.CustomerDomains.AddRange(theirs, ours);
            await system.Db.SaveChangesAsync();
            (fabrikamDomain, contosoDomain) = (theirs.Id, ours.Id);
        }

        async Task<T> As<T>(TenantScope scope, Func<CustomerDomainService, Task<T>> action)
        {
            await using var services = database.Scope(scope);
            return await action(new CustomerDomainService(services.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System));
        }

        var admin = TenantScope.ForCustomer(contoso, "customer-admin", PortalRoles.CustomerAdmin);
        long[] tampered = [fabrikamDomain, fabrikam, -1, long.MaxValue, contosoSite];
        Assert.Null(await As(admin, s => s.GetAsync(fabrikam)));
        Assert.Equal([contoso.ToString(System.Globalization.CultureInfo.InvariantCulture)], (await As(admin, s => s.CustomersAsync())).Select(c => c.Id));
        Assert.Equal(["contoso.example"], (await As(admin, s => s.GetAsync(contoso)))!.Domains.Select(d => d.Domain));
        foreach (long id in tampered)
        {
            Assert.True((await As(admin, s => s.AddAsync(id, "stolen.example"))).NotFound, $"add to {id}");
            Assert.True((await As(admin, s => s.VerifyAsync(id, 1))).NotFound, $"verify {id}");
            Assert.True((await As(admin, s => s.RemoveAsync(id))).NotFound, $"remove {id}");
        }

        // Support and editors of the same customer: not even their own customer's domains.
        foreach (var scope in new[] { TenantScope.ForCustomer(contoso, "support", PortalRoles.Support), TenantScope.ForCustomer(contoso, "editor", PortalRoles.Editor, contosoSite) })
        {
            Assert.Null(await As(scope, s => s.GetAsync(contoso)));
            Assert.Empty(await As(scope, s => s.CustomersAsync()));
            Assert.True((await As(scope, s => s.AddAsync(contoso, "support.example"))).NotFound);
            Assert.True((await As(scope, s => s.VerifyAsync(contosoDomain, 1))).NotFound);
            Assert.True((await As(scope, s => s.RemoveAsync(contosoDomain))).NotFound);
        }

        // And the customer admin's own claim stays unverified.
        Assert.False((await As(admin, s => s.VerifyAsync(contosoDomain, 1))).Succeeded);

        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            var rows = await system.Db.CustomerDomains.OrderBy(d => d.Domain).Select(d => new { d.Domain, d.CustomerId, d.VerifiedAt, d.Version }).ToListAsync();
            Assert.Equal([("contoso.example", contoso), ("fabrikam.example", fabrikam)], rows.Select(r => (r.Domain, r.CustomerId)));
            Assert.All(rows, r => Assert.Equal((null, 1L), (r.VerifiedAt, r.Version)));
            Assert.False(await system.Db.AuditLog.AnyAsync(a => a.EntityType == nameof(CustomerDomain) && a.Action != "created"));
        }
    }

    [Theory, BothProviders]
    public async Task AuditPage_EntriesAboutForeignRows_NameThemButNeitherLinkNorLookThemUp(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, fabrikam;
        User foreignUser;
        var foreign = new Dictionary<string, long>();
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            var ids = await system.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
            (contoso, fabrikam) = (ids["contoso"], ids["fabrikam"]);
            foreignUser = await system.Db.Users.AsNoTracking().FirstAsync(u => u.CustomerId == fabrikam);
            var domain = new CustomerDomain { CustomerId = fabrikam, Domain = "fabrikam.example" };
            system.Db.CustomerDomains.Add(domain);
            await system.Db.SaveChangesAsync();
            foreign[nameof(User)] = foreignUser.Id;
            foreign[nameof(Post)] = await system.Db.Posts.Where(p => p.Site!.CustomerId == fabrikam).Select(p => p.Id).FirstAsync();
            foreign[nameof(CiamSystem)] = await system.Db.CiamSystems.Where(c => c.CustomerId == fabrikam).Select(c => c.Id).FirstAsync();
            foreign[nameof(Customer)] = fabrikam;
            foreign[nameof(CustomerDomain)] = domain.Id;
            // Tampered entries in Contoso's log that point at Fabrikam's rows, one written by a Fabrikam user's id.
            foreach (var (type, id) in foreign)
            {
                system.Db.AuditLog.Add(new AuditEntry { At = DateTime.UtcNow.AddMinutes(1), Actor = "Someone", ActorUserId = foreignUser.Id, CustomerId = contoso, EntityType = type, EntityId = id, EntityLabel = "as written", Action = "updated" });
            }

            await system.Db.SaveChangesAsync();
        }

        await using var services = database.Scope(TenantScope.ForCustomer(contoso, "customer-admin", PortalRoles.CustomerAdmin));
        var rows = (await new AuditService(services.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>()).GetPageAsync(new AuditFilter(), new PageRequest(Size: 500))).Rows;
        Assert.All(rows, r => Assert.Equal("Contoso Media", r.Customer));
        foreach (var (type, id) in foreign)
        {
            var row = Assert.Single(rows, r => r.EntityType == type && r.EntityId == id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Null(row.EntityHref);
            Assert.Equal("as written", row.EntityLabel);
            // The actor's row is another tenant's: the stored name only, never their email.
            Assert.Equal("Someone", row.ActorLabel);
        }

        // The seeded sign-ins are about Contoso's own users: those do link.
        Assert.Contains(rows, r => r.EntityHref is { } href && href.StartsWith("/users/", StringComparison.Ordinal));
        Assert.DoesNotContain(rows, r => r.ActorLabel.Contains(foreignUser.Email, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The Jobs page's read and write paths (JobService.GetAsync, ListAsync, CancelAsync): another tenant's job id
    /// from the URL or a forged cancel is "not found", lists show only the own tenant's jobs, and nothing is written.
    /// </summary>
    [Theory, BothProviders]
    public async Task JobService_ForeignJobIds_AreNotFound_AndCannotBeCancelled(DatabaseProvider provider)
    {
        await using var harness = await Features.Jobs.JobTests.Harness.CreateAsync(provider);
        var contoso = await harness.AdminOfAsync("contoso");
        var fabrikam = await harness.AdminOfAsync("fabrikam");
        var contosoEditor = await harness.AdminOfAsync("contoso", PortalRole.Editor);
        var foreign = await harness.StartLockAsync(fabrikam);
        var own = await harness.StartLockAsync(contoso);
        App.Features.Jobs.BulkJob otherSite;
        await using (var editorScope = harness.Scope(contosoEditor))
        {
            otherSite = await editorScope.ServiceProvider.GetRequiredService<App.Features.Jobs.JobService>()
                .StartPostsJobAsync(PostBulkAction.Trash, new PostBulkTarget(new PostFilter(), null));
        }

        int auditBefore;
        await using (var system = await harness.Database.ContextAsync(TenantScope.System()))
        {
            auditBefore = await system.Db.AuditLog.CountAsync();
        }

        foreach (var (scope, foreignId) in new[] { (contoso, foreign.Id), (contoso with { Role = PortalRoles.Support }, foreign.Id), (contosoEditor, own.Id), (fabrikam, otherSite.Id) })
        {
            await using var circuit = harness.Scope(scope);
            var jobs = circuit.ServiceProvider.GetRequiredService<App.Features.Jobs.JobService>();
            Assert.Null(await jobs.GetAsync(foreignId));
            Assert.Equal(App.Features.Jobs.CancelOutcome.NotFound, await jobs.CancelAsync(foreignId));
            Assert.DoesNotContain(await jobs.ListAsync(), j => j.Id == foreignId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Null(await jobs.GetAsync(long.MaxValue));
        }

        await using (var circuit = harness.Scope(contoso))
        {
            Assert.Equal([own.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), otherSite.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                (await circuit.ServiceProvider.GetRequiredService<App.Features.Jobs.JobService>().ListAsync()).Select(j => j.Id).Order());
        }

        await using var after = await harness.Database.ContextAsync(TenantScope.System());
        Assert.Equal(auditBefore, await after.Db.AuditLog.CountAsync());
        Assert.Equal(3, await after.Db.Jobs.CountAsync(j => j.State == App.Features.Jobs.JobState.Queued && j.CancelRequestedBy == null));
    }
}
