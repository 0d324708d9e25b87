using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Features.ViewAs;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.ViewAs;

/// <summary>Read-only "view as": who may start it as whom, what the circuit then sees and may do, and its audit trail.</summary>
public class ViewAsServiceTests
{
    [Theory, BothProviders]
    public async Task StartAsync_SupportOnOwnEditor_SeesTheEditorsSiteOnly_AndStopReturnsAndBothAreAudited(DatabaseProvider provider)
    {
        await using var harness = await ViewAsHarness.CreateAsync(provider);
        var support = await harness.PersonaAsync("contoso", PortalRole.Support);
        var editor = await harness.PersonaAsync("contoso", PortalRole.Editor);
        var editorSitePosts = await harness.QueryAsync(db => db.Posts.Where(p => p.SiteId == editor.SiteId).Select(p => p.Id).OrderBy(id => id).ToListAsync());
        Assert.NotEmpty(editorSitePosts);
        Assert.True(await harness.QueryAsync(db => db.Posts.AnyAsync(p => p.Site!.CustomerId == editor.CustomerId && p.SiteId != editor.SiteId)), "the customer has posts of another site too");

        await using var circuit = await harness.CircuitAsync(support.Id);
        var viewAs = circuit.ServiceProvider.GetRequiredService<ViewAsService>();
        var tenant = circuit.ServiceProvider.GetRequiredService<TenantContext>();
        var check = await viewAs.StartAsync(editor.Id, "/users/" + editor.Id);

        Assert.True(check.IsAllowed, check.Message);
        Assert.Equal((PortalRoles.Editor, editor.CustomerId, (long?)editor.SiteId), (tenant.Current.Role, tenant.Current.CustomerId!.Value, tenant.Current.SiteId));
        Assert.Equal(support.Id, tenant.Current.ViewAs?.UserId);
        await using (var db = await circuit.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal(editorSitePosts, await db.Posts.Select(p => p.Id).OrderBy(id => id).ToListAsync());
        }

        var state = await circuit.ServiceProvider.GetRequiredService<AuthenticationStateProvider>().GetAuthenticationStateAsync();
        Assert.Equal(editor.DisplayName, state.User.Identity!.Name);

        await viewAs.StopAsync();

        Assert.False(viewAs.IsActive);
        Assert.Equal((PortalRoles.Support, (long?)null, (ViewAsViewer?)null), (tenant.Current.Role, tenant.Current.SiteId, tenant.Current.ViewAs));
        var audit = await harness.ViewAsAuditAsync();
        Assert.Equal(["view_as_started", "view_as_ended"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal((support.Id, editor.CustomerId, editor.Id), (a.ActorUserId!.Value, a.CustomerId!.Value, a.EntityId)));
        Assert.Contains("\"Editor\"", audit[0].Changes);
        Assert.Contains("\"stopped\"", audit[1].Changes);
    }

    [Theory, BothProviders]
    public async Task StartAsync_RefusedTargets_SayWhy_AndWriteNothing(DatabaseProvider provider)
    {
        await using var harness = await ViewAsHarness.CreateAsync(provider);
        var support = await harness.PersonaAsync("contoso", PortalRole.Support);
        var editor = await harness.PersonaAsync("contoso", PortalRole.Editor);
        var platformAdmin = await harness.PersonaAsync("contoso", PortalRole.PlatformAdmin);
        var foreignEditor = await harness.PersonaAsync("fabrikam", PortalRole.Editor);
        var foreignEditorCircuitUser = await harness.PersonaAsync("fabrikam", PortalRole.Editor);
        var noRole = await harness.QueryAsync(db => db.Users.Where(u => u.Customer!.Slug == "contoso" && u.PortalRole == null && u.IsActive).Select(u => u.Id).FirstAsync());
        // An admin of contoso, locked: has a role, cannot sign in.
        long locked = await harness.QueryAsync(async db =>
        {
            var user = await db.Users.Where(u => u.Customer!.Slug == "contoso" && u.PortalRole == null && u.Id != noRole).FirstAsync();
            user.PortalRole = PortalRole.CustomerAdmin;
            user.IsLocked = true;
            await db.SaveChangesAsync();
            return user.Id;
        });

        await using (var circuit = await harness.CircuitAsync(support.Id))
        {
            var viewAs = circuit.ServiceProvider.GetRequiredService<ViewAsService>();
            Assert.Equal(ViewAsRefusal.NotFound, (await viewAs.StartAsync(foreignEditor.Id, "/")).Refusal); // another customer's id in the URL
            Assert.Equal(ViewAsRefusal.NotFound, (await viewAs.StartAsync(long.MaxValue, "/")).Refusal);
            Assert.Equal(ViewAsRefusal.NotFound, (await viewAs.StartAsync(-1, "/")).Refusal);
            Assert.Equal(ViewAsRefusal.Self, (await viewAs.StartAsync(support.Id, "/")).Refusal);
            Assert.Equal(ViewAsRefusal.NoPortalRole, (await viewAs.StartAsync(noRole, "/")).Refusal);
            Assert.Equal(ViewAsRefusal.PlatformAdmin, (await viewAs.StartAsync(platformAdmin.Id, "/")).Refusal);
            Assert.Equal(ViewAsRefusal.Inactive, (await viewAs.StartAsync(locked, "/")).Refusal);
            Assert.False(viewAs.IsActive);
            Assert.Null(circuit.ServiceProvider.GetRequiredService<TenantContext>().Current.ViewAs);

            Assert.True((await viewAs.StartAsync(editor.Id, "/")).IsAllowed);
            Assert.Equal(ViewAsRefusal.AlreadyViewing, (await viewAs.StartAsync(editor.Id, "/")).Refusal);
        }

        // Editors never view as anyone.
        await using (var circuit = await harness.CircuitAsync(foreignEditorCircuitUser.Id))
        {
            var fabrikamSupport = await harness.PersonaAsync("fabrikam", PortalRole.Support);
            Assert.Equal(ViewAsRefusal.NotAllowed, (await circuit.ServiceProvider.GetRequiredService<ViewAsService>().StartAsync(fabrikamSupport.Id, "/")).Refusal);
        }

        // Only the one allowed start (and its end when the circuit closed) is in the audit log.
        var audit = await harness.ViewAsAuditAsync();
        Assert.Equal(["view_as_started", "view_as_ended"], audit.Select(a => a.Action));
        Assert.Contains("\"circuit_closed\"", audit[1].Changes);
    }

    [Theory, BothProviders]
    public async Task WhileViewingAs_EveryWriteThroughAnyServiceOrRawSql_IsRefused_AndTheDatabaseIsUnchanged(DatabaseProvider provider)
    {
        await using var harness = await ViewAsHarness.CreateAsync(provider);
        var admin = await harness.PersonaAsync("contoso", PortalRole.CustomerAdmin);
        var editor = await harness.PersonaAsync("contoso", PortalRole.Editor);
        var post = await harness.QueryAsync(db => db.Posts.AsNoTracking().Where(p => p.SiteId == editor.SiteId && p.Status != PostStatus.Published).FirstAsync());
        var otherUser = await harness.QueryAsync(db => db.Users.AsNoTracking().Where(u => u.SiteId == editor.SiteId && u.Id != editor.Id && !u.IsLocked).FirstAsync());
        string before = await SnapshotAsync(harness);

        await using var circuit = await harness.CircuitAsync(admin.Id);
        var services = circuit.ServiceProvider;
        Assert.True((await services.GetRequiredService<ViewAsService>().StartAsync(editor.Id, "/")).IsAllowed);
        var lifecycle = services.GetRequiredService<PostLifecycleService>();
        var support = services.GetRequiredService<UserSupportService>();
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var attempts = new Dictionary<string, Func<Task>>
        {
            ["save draft"] = () => lifecycle.SaveAsync(post.Id, new PostEdit { Title = "Changed while viewing as", Slug = post.Slug, Content = "x", Version = post.Version }),
            ["publish"] = () => lifecycle.PublishAsync(post.Id),
            ["trash"] = () => lifecycle.TrashAsync(post.Id),
            ["new draft"] = () => lifecycle.CreateDraftAsync(editor.SiteId, new PostEdit { Title = "New while viewing as", Slug = "new-while-viewing-as", Content = "x" }),
            ["bulk publish"] = () => services.GetRequiredService<PostBulkService>().RunAsync(PostBulkAction.Publish, new PostBulkTarget(new PostFilter(), [post.Id.ToString()])),
            ["lock user"] = () => support.SetLockedAsync(otherUser.Id, true),
            ["revoke tokens"] = () => support.RevokeTokensAsync(otherUser.Id),
            ["bulk lock"] = () => services.GetRequiredService<UserBulkService>().RunAsync(BulkAction.Lock, new BulkTarget(new UserFilter(), [otherUser.Id.ToString()])),
            ["ExecuteUpdate"] = async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                await db.Posts.Where(p => p.Id == post.Id).ExecuteUpdateAsync(set => set.SetProperty(p => p.Title, "bulk"));
            },
            ["ExecuteDelete"] = async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                await db.Posts.Where(p => p.Id == post.Id).ExecuteDeleteAsync();
            },
            ["raw SQL"] = async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                await db.Database.ExecuteSqlRawAsync("UPDATE posts SET title = 'raw' WHERE 1 = 1");
            },
            ["raw SQL through a reader"] = async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                await db.Database.SqlQueryRaw<long>("SELECT 1 AS \"Value\"; DELETE FROM posts").ToListAsync();
            },
            ["audit entry"] = async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                db.AuditLog.Add(new App.Features.Audit.AuditEntry { At = DateTime.UtcNow, Actor = "forged", CustomerId = editor.CustomerId, EntityType = "User", EntityId = editor.Id, Action = "forged" });
                await db.SaveChangesAsync();
            },
        };

        var landed = new List<string>();
        foreach (var (name, attempt) in attempts)
        {
            try
            {
                await attempt();
                landed.Add($"{name}: no exception");
            }
            catch (Exception exception) when (exception.GetBaseException() is ReadOnlyViewException || exception is ReadOnlyViewException)
            {
            }
            catch (Exception exception)
            {
                landed.Add($"{name}: {exception.GetType().Name} {exception.GetBaseException().Message}");
            }
        }

        // Reads still work while viewing as.
        Assert.NotNull(await services.GetRequiredService<PostQueries>().GetAsync(post.Id));
        Assert.True(landed.Count == 0, string.Join(Environment.NewLine, landed));
        await services.GetRequiredService<ViewAsService>().StopAsync();
        Assert.Equal(before, await SnapshotAsync(harness));
        Assert.Equal(["view_as_started", "view_as_ended"], (await harness.ViewAsAuditAsync()).Select(a => a.Action));

        // After Stop the same circuit writes again, as the admin it is.
        Assert.True((await services.GetRequiredService<UserSupportService>().SetLockedAsync(otherUser.Id, true)).Succeeded);
    }

    /// <summary>Every row's id and version, and every audit entry but the view-as ones: "nothing changed" made checkable.</summary>
    private static Task<string> SnapshotAsync(ViewAsHarness harness) => harness.QueryAsync(async db => string.Join("|",
        string.Join(",", await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).OrderBy(p => p.Id).Select(p => p.Id + ":" + p.Version + ":" + p.Title + ":" + (p.DeletedAt == null ? "" : "t")).ToListAsync()),
        string.Join(",", await db.Users.OrderBy(u => u.Id).Select(u => u.Id + ":" + u.Version).ToListAsync()),
        await db.AuditLog.CountAsync(a => !a.Action.StartsWith("view_as_")),
        await db.PortalSessions.CountAsync()));

    [Theory, BothProviders]
    public async Task ViewAs_TimeLimitPasses_EndsByItself_AuditedAsExpired(DatabaseProvider provider)
    {
        await using var harness = await ViewAsHarness.CreateAsync(provider, maxDuration: TimeSpan.FromSeconds(1));
        var admin = await harness.PersonaAsync("fabrikam", PortalRole.CustomerAdmin);
        var support = await harness.PersonaAsync("fabrikam", PortalRole.Support);
        await using var circuit = await harness.CircuitAsync(admin.Id);
        var viewAs = circuit.ServiceProvider.GetRequiredService<ViewAsService>();
        var tenant = circuit.ServiceProvider.GetRequiredService<TenantContext>();

        Assert.True((await viewAs.StartAsync(support.Id, "/")).IsAllowed);
        Assert.Equal(PortalRoles.Support, tenant.Current.Role);
        for (int i = 0; i < 100 && (viewAs.IsActive || (await harness.ViewAsAuditAsync()).Count < 2); i++)
        {
            await Task.Delay(100);
        }

        Assert.False(viewAs.IsActive);
        Assert.Equal(ViewAsEndReason.Expired, viewAs.LastEnded?.Reason);
        Assert.Equal((PortalRoles.CustomerAdmin, (ViewAsViewer?)null), (tenant.Current.Role, tenant.Current.ViewAs));
        var audit = await harness.ViewAsAuditAsync();
        Assert.Equal(["view_as_started", "view_as_ended"], audit.Select(a => a.Action));
        Assert.Contains("\"expired\"", audit[1].Changes);
    }

    [Theory, BothProviders]
    public async Task StartAsync_PlatformAdmin_ViewsAnyCustomersUser_AndStopRestoresTheirCustomerSwitch(DatabaseProvider provider)
    {
        await using var harness = await ViewAsHarness.CreateAsync(provider);
        var platformAdmin = await harness.PersonaAsync("contoso", PortalRole.PlatformAdmin);
        var fabrikamAdmin = await harness.PersonaAsync("fabrikam", PortalRole.CustomerAdmin);
        await using var circuit = await harness.CircuitAsync(platformAdmin.Id);
        var tenant = circuit.ServiceProvider.GetRequiredService<TenantContext>();
        var contoso = await harness.QueryAsync(db => db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync());
        await circuit.ServiceProvider.GetRequiredService<TenantSwitchService>().SwitchAsync(contoso, null);
        var viewAs = circuit.ServiceProvider.GetRequiredService<ViewAsService>();

        Assert.True((await viewAs.StartAsync(fabrikamAdmin.Id, "/")).IsAllowed);
        Assert.Equal((fabrikamAdmin.CustomerId, false), (tenant.Current.CustomerId!.Value, tenant.Current.AllCustomers));
        await viewAs.StopAsync();

        Assert.Equal((contoso, PortalRoles.PlatformAdmin, (ViewAsViewer?)null), (tenant.Current.CustomerId!.Value, tenant.Current.Role, tenant.Current.ViewAs));
        Assert.All(await harness.ViewAsAuditAsync(), a => Assert.Equal(fabrikamAdmin.CustomerId, a.CustomerId));
    }

    public static TheoryData<PortalRole, PortalRole> ViewerTargetPairs() => new()
    {
        { PortalRole.Support, PortalRole.CustomerAdmin },
        { PortalRole.Support, PortalRole.Editor },
        { PortalRole.Support, PortalRole.Support },
        { PortalRole.CustomerAdmin, PortalRole.Editor },
        { PortalRole.CustomerAdmin, PortalRole.Support },
        { PortalRole.CustomerAdmin, PortalRole.CustomerAdmin },
        { PortalRole.PlatformAdmin, PortalRole.CustomerAdmin },
        { PortalRole.PlatformAdmin, PortalRole.Editor },
    };

    [Theory, MemberData(nameof(ViewerTargetPairs))]
    public async Task Policies_WhileViewingAs_AreTheIntersectionOfViewerAndTarget(PortalRole viewerRole, PortalRole targetRole)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthorizationBuilder().AddPortalPolicies();
        await using var provider = services.BuildServiceProvider();
        var authorization = provider.GetRequiredService<IAuthorizationService>();
        var viewer = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(PortalClaimTypes.UserId, "1"), new Claim(PortalClaimTypes.DisplayName, "Viewer"), new Claim(PortalClaimTypes.Role, viewerRole.ToString()), new Claim(PortalClaimTypes.CustomerId, "7")],
            "test", PortalClaimTypes.DisplayName, PortalClaimTypes.Role));
        var principal = ViewAsAuthorization.Create(viewer, new ViewAsTarget(2, "Target", "t@example.test", targetRole, 7, 70, "Customer"));

        foreach (var (policy, roles) in PortalPolicies.Roles)
        {
            bool expected = roles.Contains(targetRole) && ViewAsAuthorization.ViewerRoles[policy].Contains(viewerRole);
            Assert.True(expected == (await authorization.AuthorizeAsync(principal, policy)).Succeeded, $"{viewerRole} as {targetRole}: {policy}");
        }

        // Never more than the viewer: a support user viewing as a customer admin gets none of the admin-only areas.
        if (viewerRole == PortalRole.Support && targetRole == PortalRole.CustomerAdmin)
        {
            foreach (string adminOnly in new[] { PortalPolicies.ManageSites, PortalPolicies.ManageIdentityProviders, PortalPolicies.ViewAudit, PortalPolicies.PurgePosts, PortalPolicies.EditUserProfiles, PortalPolicies.ManageCustomers, PortalPolicies.ViewSchema, PortalPolicies.SwitchTenant })
            {
                Assert.False((await authorization.AuthorizeAsync(principal, adminOnly)).Succeeded, adminOnly);
            }

            Assert.True((await authorization.AuthorizeAsync(principal, PortalPolicies.ViewUsers)).Succeeded);
        }

        // The view-as principal's tenant is the target's, marked read-only.
        var scope = TenantScope.FromPrincipal(principal);
        Assert.Equal((targetRole.ToString(), (long?)7, "Viewer"), (scope.Role, scope.CustomerId, scope.ViewAs?.Name));
    }

    [Theory]
    [InlineData("SELECT 1", true)]
    [InlineData("  -- tag\nSELECT p.id FROM posts AS p", true)]
    [InlineData("/* c */ select(1)", true)]
    [InlineData("SELECT 1; SELECT 2;", true)]
    [InlineData("UPDATE posts SET title = 'x'", false)]
    [InlineData("SELECT 1; DELETE FROM posts", false)]
    [InlineData("WITH x AS (SELECT 1) DELETE FROM posts", false)]
    [InlineData("INSERT INTO audit_log VALUES (1)", false)]
    [InlineData("SELECTED", false)]
    [InlineData("-- only a comment", false)]
    [InlineData("", false)]
    public void IsSelectOnly_Statements_OnlySelectsPass(string sql, bool expected)
    {
        Assert.Equal(expected, ReadOnlyViewGuard.IsSelectOnly(sql));
    }

    [Theory]
    [InlineData(900.0, "15:00")]
    [InlineData(899.2, "15:00")]
    [InlineData(61.0, "01:01")]
    [InlineData(0.4, "00:01")]
    [InlineData(0.0, "00:00")]
    [InlineData(-3.0, "00:00")]
    public void BannerCountdown_Remaining_IsMinutesAndSecondsRoundedUp(double seconds, string expected)
    {
        Assert.Equal(expected, ViewAsFrame.Format(TimeSpan.FromSeconds(seconds)));
    }
}
