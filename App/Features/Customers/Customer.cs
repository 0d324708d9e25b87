using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Customers;

/// <summary>A tenant. Everything else in the portal belongs to one customer, directly or through a site.</summary>
public class Customer : IHasId, IVersioned, IHasTimestamps
{
    public const int MaxNameLength = 200;
    public const int MaxSlugLength = 100;

    public long Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>URL-safe and unique across the platform.</summary>
    public string Slug { get; set; } = "";
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal sealed class CustomerConfiguration : IEntityTypeConfiguration<Customer>
{
    public void Configure(EntityTypeBuilder<Customer> entity)
    {
        entity.Property(c => c.Name).HasMaxLength(Customer.MaxNameLength);
        entity.Property(c => c.Slug).HasMaxLength(Customer.MaxSlugLength);
        entity.HasIndex(c => c.Slug).IsUnique();
        entity.HasIndex(c => new { c.Name, c.Id });
    }
}
