using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.Tests.Grid;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Audit;

/// <summary>The audit grid's page turn: every test of <see cref="GridPageTurnTests{TPage}"/>.</summary>
public sealed class AuditPageTurnTests : GridPageTurnTests<AuditPageTurnTests.Counted>
{
    public sealed class Counted : AuditPage, ICountsRenders
    {
        public int Renders { get; private set; }

        protected override void OnAfterRender(bool firstRender) => Renders++;
    }

    protected override string Url => "/audit";

    protected override string RowIdAttribute => "data-audit-id";

    protected override void AddPageServices(Func<IServiceProvider, IDbContextFactory<PortalDbContext>> held) =>
        Services.AddScoped(provider => new AuditService(held(provider)));

    protected override void AddRows(PortalDbContext db, long customer, long site)
    {
        for (int i = 0; i < 3 * App.Grid.GridPage.DefaultSize; i++)
        {
            db.AuditLog.Add(new AuditEntry
            {
                At = DateTime.UtcNow.AddMinutes(-i), Actor = "turn@test.example", CustomerId = customer, EntityType = "Post", EntityId = i, Action = "updated",
            });
        }
    }
}
