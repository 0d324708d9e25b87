using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.IdentityProviders;

/// <summary>Links a user to their identity at one provider: (provider, external subject) is unique.</summary>
/// <remarks>
/// <see cref="CustomerId"/> repeats the user's customer so that the Tenant filter reads the mapping alone: without it,
/// every "signs in with OIDC" EXISTS in the users grid joined users again inside the subquery. It must equal the
/// user's customer; <see cref="PortalDbContext"/> refuses a save where it does not.
/// </remarks>
public class UserCiamMapping : IHasId, IHasTimestamps, ICustomerOwned
{
    public const int MaxSubjectLength = 255;

    public long Id { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public long CustomerId { get; set; }
    public long CiamSystemId { get; set; }
    public CiamSystem? CiamSystem { get; set; }
    public string ExternalSubject { get; set; } = "";
    public DateTime? LastLoginAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class UserCiamMappingConfiguration : IEntityTypeConfiguration<UserCiamMapping>
{
    public void Configure(EntityTypeBuilder<UserCiamMapping> entity)
    {
        entity.Property(m => m.ExternalSubject).HasMaxLength(UserCiamMapping.MaxSubjectLength);
        entity.HasIndex(m => new { m.CiamSystemId, m.ExternalSubject }).IsUnique();
        // Serves the users grid's EXISTS (user_id = u.id AND customer_id = tenant) from the index alone, and the FK on user_id.
        entity.HasIndex(m => new { m.UserId, m.CustomerId });
        entity.HasIndex(m => m.CustomerId);
        entity.HasOne<Customers.Customer>().WithMany().HasForeignKey(m => m.CustomerId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne(m => m.User).WithMany(u => u.CiamMappings).HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne(m => m.CiamSystem).WithMany().HasForeignKey(m => m.CiamSystemId).OnDelete(DeleteBehavior.Restrict);
    }
}
