"""Facts about AWS types, read from pulumi-aws: which classes they are, which take tags."""

import pulumi_aws as aws

from baseline.aws_types import resource_class, taggable


def test_type_tokens_name_their_classes():
    assert resource_class("aws:ec2/vpc:Vpc") is aws.ec2.Vpc
    assert resource_class("aws:rds/instance:Instance") is aws.rds.Instance
    assert resource_class("kubernetes:core/v1:Namespace") is None
    assert resource_class("aws:nosuch/thing:Thing") is None


def test_taggable_follows_the_tags_input():
    assert taggable("aws:ec2/vpc:Vpc")
    assert taggable("aws:eks/nodeGroup:NodeGroup")
    assert not taggable("aws:ec2/route:Route")
    assert not taggable("aws:s3/bucketPolicy:BucketPolicy")
    assert not taggable("pulumi:providers:aws")
