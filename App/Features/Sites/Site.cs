using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Sites;

/// <summary>A site of one customer. Users and posts belong to a site.</summary>
public class Site : IHasId, IVersioned, IHasTimestamps, ICustomerOwned
{
    public const int MaxNameLength = 200;
    /// <summary>The DNS limit for a host name.</summary>
    public const int MaxDomainLength = 253;

    public long Id { get; set; }
    public long CustomerId { get; set; }
    public Customer? Customer { get; set; }
    public string Name { get; set; } = "";
    /// <summary>Host name, unique across the platform.</summary>
    public string Domain { get; set; } = "";
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal sealed class SiteConfiguration : IEntityTypeConfiguration<Site>
{
    public void Configure(EntityTypeBuilder<Site> entity)
    {
        entity.Property(s => s.Name).HasMaxLength(Site.MaxNameLength);
        entity.Property(s => s.Domain).HasMaxLength(Site.MaxDomainLength);
        entity.HasIndex(s => s.Domain).IsUnique();
        entity.HasIndex(s => new { s.CustomerId, s.Name, s.Id });
        // Business data never disappears through a cascade: a customer with sites cannot be deleted.
        entity.HasOne(s => s.Customer).WithMany().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}
